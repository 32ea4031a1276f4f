import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { apiVersion, kind, type Agent } from '../api/agent.ts';
import { selectorLabels } from './labels.ts';

/** Metadata as server-side apply needs it: name and namespace always set. */
export type NamedMeta = V1ObjectMeta & { name: string; namespace: string };
/** A built object: apiVersion, kind, name and namespace are never missing. */
export type Owned<T> = T & { apiVersion: string; kind: string; metadata: NamedMeta };

/** What the builders need to know about the Agent object itself (not its spec). */
export interface Owner { name: string; namespace: string; uid: string }

/**
 * Builders run on Agents read from the apiserver, which always carry a
 * namespace and uid; one without is a programming error, not a user error.
 */
export function ownerOf(agent: Agent): Owner {
  const { name, namespace, uid } = agent.metadata;
  if (!namespace || !uid) throw new TypeError(`Agent ${name} has no metadata.namespace or metadata.uid: desired objects are built only from Agents read from the apiserver`);
  return { name, namespace, uid };
}

/** controller=true so `kubectl get` shows the owner and garbage collection deletes with it; blockOwnerDeletion for foreground deletes. */
export function ownerReference(owner: Owner): V1OwnerReference {
  return { apiVersion, kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

/** Metadata of an owned object: name, namespace, the selector labels (on every object) and (unless `owned` is false) the controller reference. */
export function objectMeta(owner: Owner, name: string, opts: { owned?: boolean; annotations?: Record<string, string> } = {}): NamedMeta {
  const meta: NamedMeta = { name, namespace: owner.namespace, labels: selectorLabels(owner.name) };
  if (opts.annotations) meta.annotations = opts.annotations;
  if (opts.owned ?? true) meta.ownerReferences = [ownerReference(owner)];
  return meta;
}

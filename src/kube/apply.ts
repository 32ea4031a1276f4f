import { fieldManager } from '../config.ts';
import { withDesiredHash, type ApplyObject } from '../desired/desired-hash.ts';
import { ifFound, isConflict, isNotFound } from '../runtime/api-error.ts';
import type { KubeClient } from './client.ts';

// Owned objects are written by server-side apply, one field manager, force:
// no get/create/update branches and no resourceVersion races. A converged Agent
// must cause zero writes, so the plan asks needsApply(desired, live)
// (src/reconcile/needs-apply.ts) first and skips the PATCH when the cluster
// already holds what we would send.

/** Where each kind we own lives. Unknown kinds are refused rather than guessed. */
const resources: Record<string, string> = {
  'apps/v1/Deployment': '/apis/apps/v1/namespaces/{ns}/deployments',
  'apps/v1/DaemonSet': '/apis/apps/v1/namespaces/{ns}/daemonsets',
  'apps/v1/StatefulSet': '/apis/apps/v1/namespaces/{ns}/statefulsets',
  'v1/Service': '/api/v1/namespaces/{ns}/services',
  'v1/ConfigMap': '/api/v1/namespaces/{ns}/configmaps',
  'v1/PersistentVolumeClaim': '/api/v1/namespaces/{ns}/persistentvolumeclaims',
  'policy/v1/PodDisruptionBudget': '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets',
};

/** Every kind the operator applies, as `apiVersion/Kind` (the permission table must let it create and patch each). */
export const ownedKinds: readonly string[] = Object.keys(resources);

export function objectPath(obj: Pick<ApplyObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const base = resources[`${obj.apiVersion}/${obj.kind}`];
  if (base === undefined) throw new Error(`apply: ${obj.apiVersion} ${obj.kind} is not a kind the operator owns (known: ${Object.keys(resources).join(', ')})`);
  return `${base.replace('{ns}', encodeURIComponent(obj.metadata.namespace))}/${encodeURIComponent(obj.metadata.name)}`;
}

/**
 * Server-side apply of `desired` (stamped with its hash), force=true with the
 * operator's field manager. Returns the object as the apiserver stored it.
 */
export async function apply<T = ApplyObject>(client: KubeClient, desired: ApplyObject, opts: { dryRun?: boolean } = {}): Promise<T> {
  const { status: _status, ...body } = withDesiredHash(desired);
  return client.request<T>({
    method: 'PATCH',
    path: objectPath(desired),
    query: { fieldManager, force: true, dryRun: opts.dryRun ? 'All' : undefined },
    body,
    contentType: 'application/apply-patch+yaml',
  });
}

/** The object under that name as the apiserver has it, or undefined when there is none. */
export function read(client: KubeClient, ref: Omit<OwnedObjectRef, 'uid'>): Promise<unknown> {
  return ifFound(client.request({ method: 'GET', path: objectPath({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }) }));
}

/** An owned object by identity; with uid, only that incarnation is deleted. */
export interface OwnedObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

/**
 * Deletes an owned object the spec no longer asks for (a Service after ports
 * were removed, a PDB at one replica). Already gone counts as done, and so
 * does a uid mismatch: the object of that name is another one now.
 * Dependents are collected in the background, as kubectl does.
 */
export async function remove(client: KubeClient, ref: OwnedObjectRef): Promise<void> {
  try {
    await client.request({
      method: 'DELETE',
      path: objectPath({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', ...(ref.uid ? { preconditions: { uid: ref.uid } } : {}) },
    });
  } catch (err) {
    if (isNotFound(err) || (ref.uid && isConflict(err))) return;
    throw err;
  }
}

import type { AgentStatus } from '../api/status.ts';
import type { ApplyObject } from '../desired/desired-hash.ts';
import { apply, read, remove, type OwnedObjectRef } from './apply.ts';
import type { KubeClient } from './client.ts';
import { deletePod, patchPodAnnotations, type DeletePodResult } from './pods.ts';
import { readLivenessKills } from './pod-events.ts';
import { readNode } from './nodes.ts';
import type { V1Node } from '@kubernetes/client-node';
import type { LivenessKill } from '../health/detect.ts';
import { apiObjectReader, readReferencedDigests, type ReferencedDigests, type References } from './secrets.ts';
import { patchAgentStatus } from './status.ts';

/**
 * The reconciler's writes and targeted reads, bound to one client. Reconciler
 * tests fake this interface; leases (src/runtime/lease-store.ts) and events (EventRecorder) are
 * separate because they have their own users and state.
 */
export interface KubeIO {
  /** Server-side apply; call only when needsApply(desired, live) says so. */
  apply(desired: ApplyObject): Promise<ApplyObject>;
  /** An object by name, undefined when absent: the check before a create that nothing foreign is there. */
  read(ref: Omit<OwnedObjectRef, 'uid'>): Promise<unknown>;
  /** Deletes an owned object the spec no longer asks for; already gone is done. */
  remove(ref: OwnedObjectRef): Promise<void>;
  /** Call only when the computed status differs from the one read. With `resourceVersion`, a status computed from an older Agent is refused (409). */
  patchAgentStatus(namespace: string, name: string, status: AgentStatus, resourceVersion?: string): Promise<unknown>;
  /** force: grace period 0, the pod object goes at once (a pod on a gone node, whose kubelet never confirms). */
  deletePod(namespace: string, name: string, uid: string, force?: boolean): Promise<DeletePodResult>;
  /** Merges annotations into the pod with that uid (reload InPlace/HTTP); a pod gone or replaced is 'gone'. */
  patchPodAnnotations(namespace: string, name: string, uid: string, annotations: Record<string, string>): Promise<'patched' | 'gone'>;
  /** Digests of the referenced Secrets and ConfigMaps; `toScrub` comes back in `scrubbed` with their Secret values replaced. */
  readReferencedDigests(namespace: string, refs: References, toScrub?: Readonly<Record<string, string>>): Promise<ReferencedDigests>;
  /** The kubelet's liveness kills announced in the pod's events. */
  readLivenessKills(namespace: string, pod: { uid: string }): Promise<LivenessKill[]>;
  /** A Node by name; null when it does not exist. */
  readNode(name: string): Promise<V1Node | null>;
}

export function kubeIO(client: KubeClient): KubeIO {
  const reader = apiObjectReader(client);
  return {
    apply: (desired) => apply(client, desired),
    read: (ref) => read(client, ref),
    remove: (ref) => remove(client, ref),
    patchAgentStatus: (namespace, name, status, resourceVersion) => patchAgentStatus(client, namespace, name, status, resourceVersion),
    deletePod: (namespace, name, uid, force) => deletePod(client, namespace, name, uid, force),
    patchPodAnnotations: (namespace, name, uid, annotations) => patchPodAnnotations(client, namespace, name, uid, annotations),
    readReferencedDigests: (namespace, refs, toScrub) => readReferencedDigests(reader, namespace, refs, toScrub),
    readLivenessKills: (namespace, pod) => readLivenessKills(client, namespace, pod),
    readNode: (name) => readNode(client, name),
  };
}

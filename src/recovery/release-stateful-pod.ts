import type { V1Pod } from '@kubernetes/client-node';
import { lost, type NodeView } from '../health/node-lost.ts';
import { toMs } from '../lib/time.ts';

export interface ReleaseInput {
  /** The workload's kind and, for a Deployment, whether it rolls out by Recreate (a ReadWriteOnce volume). */
  kind: string | undefined;
  recreate?: boolean;
  policy: 'Never' | 'ForceDelete';
  /** spec.failover.nodeGoneSeconds: a node lost this long is gone. */
  nodeGoneSeconds: number;
  pods: readonly V1Pod[];
  nodes: readonly NodeView[];
  now: Date;
}

export interface Release { name: string; uid: string; node: string; lostFor?: number }

/**
 * Whose replacement waits for the pod on a gone node: a StatefulSet's (at most
 * one pod per ordinal) and a Recreate Deployment's (the operator's choice for a
 * ReadWriteOnce volume: the new pod starts only once every old pod is gone,
 * and an evicted pod on a dead node is never gone). A rolling Deployment
 * replaces an evicted pod by itself.
 */
function waitsForItsNode(input: ReleaseInput): boolean {
  return input.kind === 'StatefulSet' || (input.kind === 'Deployment' && input.recreate === true);
}

/**
 * The StatefulSet (or Recreate Deployment) pod to force-delete because its node is gone. Kubernetes
 * never replaces such a pod on its own: eviction only marks it for deletion,
 * and the deletion completes when the kubelet confirms the containers are
 * stopped, which a dead node never does. The StatefulSet controller waits
 * for the name to be free (at most one pod per ordinal), so the replica stays
 * down until someone force-deletes the pod or deletes the Node.
 *
 * Gone (the only evidence there is, and an opinion the user states through
 * nodeGoneSeconds): the node has been lost at least that long. A deleted Node
 * object is not acted on: the pod garbage collector force-deletes the pods of
 * a node that no longer exists by itself.
 *
 * One pod per reconcile, the oldest loss first, so a zone outage is released
 * at the pace the reconciles run, not all at once.
 */
export function statefulPodToRelease(input: ReleaseInput): Release | undefined {
  const now = input.now.getTime();
  const candidates: Release[] = [];
  for (const { name, uid, node, since } of podsOnLostNodes(input)) {
    if (now - since < input.nodeGoneSeconds * 1000) continue;
    candidates.push({ name, uid, node, lostFor: Math.floor((now - since) / 1000) });
  }
  return candidates.sort((a, b) => (b.lostFor ?? 0) - (a.lostFor ?? 0) || a.name.localeCompare(b.name))[0];
}

/** Milliseconds until the next such pod's node has been lost nodeGoneSeconds: plan requeues then, so the release is on time. */
export function releaseDueInMs(input: ReleaseInput): number | undefined {
  const now = input.now.getTime();
  const waits = podsOnLostNodes(input).map((p) => p.since + input.nodeGoneSeconds * 1000 - now).filter((ms) => ms > 0);
  return waits.length ? Math.min(...waits) : undefined;
}

/** The pods the policy may release, on nodes lost since a time the cluster wrote down (never counted as gone without one). */
function podsOnLostNodes(input: ReleaseInput): { name: string; uid: string; node: string; since: number }[] {
  if (!waitsForItsNode(input) || input.policy !== 'ForceDelete') return [];
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  const out: { name: string; uid: string; node: string; since: number }[] = [];
  for (const p of input.pods) {
    const node = byName.get(p.spec?.nodeName ?? '');
    if (!node || node.gone || !p.metadata?.name || !p.metadata.uid) continue;
    const since = toMs(lost(node)?.since);
    if (since !== undefined) out.push({ name: p.metadata.name, uid: p.metadata.uid, node: node.name, since });
  }
  return out;
}

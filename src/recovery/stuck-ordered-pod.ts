import type { V1Pod } from '@kubernetes/client-node';
import { revisionAnnotation } from '../api/annotations.ts';
import type { Failure } from '../health/failure.ts';

export interface StuckPodInput {
  /** The workload's kind; only a StatefulSet waits on a broken pod. */
  kind: string | undefined;
  pods: readonly V1Pod[];
  /** The revision of the pod template the operator applies now (the spec's, or the rollback target's). */
  appliedRevision: string;
  failures: readonly Failure[];
}

export interface StuckPod { name: string; uid: string; revision: string }

/**
 * The pod that blocks a StatefulSet's rollout forever. The StatefulSet
 * controller replaces pods one at a time, from the highest ordinal down, and
 * waits for each to be Running and Ready before it touches the next, the
 * broken one included: a pod of a revision that crashes blocks every later
 * rollout, the fix and the operator's rollback too, until someone deletes
 * it (kubernetes/kubernetes#67250).
 *
 * That pod: not Ready, with an active failure, and of a revision other than
 * the one the StatefulSet now runs (so the spec moved on, or a rollback was
 * decided). Deleting it loses nothing the controller would not replace
 * anyway; it comes back at the current revision. One per reconcile, the
 * highest ordinal first (the controller's order), so a rollout is never
 * hurried past one pod at a time.
 */
export function stuckOrderedPod(input: StuckPodInput): StuckPod | undefined {
  if (input.kind !== 'StatefulSet') return undefined;
  // A pod on a lost node is not broken, its node is: deleting it would not
  // complete (no kubelet confirms) and is releaseStatefulPods' decision.
  const failing = new Set(input.failures.filter((f) => f.active && f.podUid !== undefined && f.reason !== 'NodeLost').map((f) => f.podUid));
  const ordinal = (p: V1Pod) => Number(/-(\d+)$/.exec(p.metadata?.name ?? '')?.[1] ?? -1);
  const stuck = input.pods
    .filter((p) => {
      const revision = p.metadata?.annotations?.[revisionAnnotation];
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return revision !== undefined && revision !== input.appliedRevision && !ready
        && p.metadata?.deletionTimestamp === undefined && failing.has(p.metadata?.uid ?? '');
    })
    .sort((a, b) => ordinal(b) - ordinal(a))[0];
  if (!stuck?.metadata?.name || !stuck.metadata.uid) return undefined;
  return { name: stuck.metadata.name, uid: stuck.metadata.uid, revision: stuck.metadata.annotations![revisionAnnotation]! };
}

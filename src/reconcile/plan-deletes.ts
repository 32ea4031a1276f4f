import type { AgentEvent } from '../api/reasons.ts';
import type { ResolvedSpec } from '../desired/defaults.ts';
import type { Failure } from '../health/failure.ts';
import { assertNever } from '../lib/assert-never.ts';
import type { Action } from '../recovery/decision.ts';
import { releaseDueInMs, statefulPodToRelease, type ReleaseInput } from '../recovery/release-stateful-pod.ts';
import { stuckOrderedPod } from '../recovery/stuck-ordered-pod.ts';
import type { Observed } from './gather.ts';

/** A pod to delete, guarded by uid; force (grace 0): the pod of a gone node that a StatefulSet or Recreate Deployment waits for. */
export interface PodDelete { name: string; uid: string; force?: boolean }

/**
 * Why a pod is deleted. The recovery policy records its own RestartPod in
 * status.recovery.podDeletions; plan records the others, so the hourly count
 * holds every deletion the operator makes.
 */
export type DeleteCause = 'Recovery' | 'Reload' | 'StuckOrderedPod' | 'LostNode';

export interface PodDeleteInput {
  action: Action;
  /** reload HTTP with onFailure RestartPod: the pod that did not take the config (config-reload.ts). */
  reloadRestart: { name: string; uid: string } | undefined;
  holdRollout: boolean;
  /** The revision of the template applied now; undefined when nothing is built. */
  appliedRevision: string | undefined;
  failures: readonly Failure[];
  failover: ResolvedSpec['failover'];
}

/**
 * At most one pod deleted per reconcile, the first of: the recovery action's
 * restart, a reload's restart, a pod blocking a StatefulSet's ordered
 * rollout, a StatefulSet's or Recreate Deployment's pod on a node gone too long.
 */
export function podDelete(o: Observed, i: PodDeleteInput): { deletePod?: PodDelete; cause?: DeleteCause; events: AgentEvent[]; releaseDueInMs?: number } {
  const restart = podToRestart(i.action);
  const uid = restart === undefined ? undefined : o.pods.find((p) => p.metadata?.name === restart)?.metadata?.uid;
  if (restart !== undefined && uid) return { deletePod: { name: restart, uid }, cause: 'Recovery', events: [] };
  if (i.reloadRestart) return { deletePod: { name: i.reloadRestart.name, uid: i.reloadRestart.uid }, cause: 'Reload', events: [] };
  const applied = i.appliedRevision;
  const stuck = !i.holdRollout && applied !== undefined
    ? stuckOrderedPod({ kind: o.workload?.kind, pods: o.pods, appliedRevision: applied, failures: i.failures })
    : undefined;
  if (stuck) {
    return {
      deletePod: { name: stuck.name, uid: stuck.uid },
      cause: 'StuckOrderedPod',
      events: [{ type: 'Warning', reason: 'StuckPodDeleted', message: `deleted pod ${stuck.name}: it runs revision ${stuck.revision}, never became Ready and blocked the StatefulSet's ordered rollout of revision ${applied}; it comes back at that revision` }],
    };
  }
  const { releaseStatefulPods, nodeGoneSeconds } = i.failover;
  const ws = o.workload?.spec;
  const recreate = o.workload?.kind === 'Deployment' && ws !== undefined && 'strategy' in ws && ws.strategy?.type === 'Recreate';
  const input: ReleaseInput = { kind: o.workload?.kind, recreate, policy: releaseStatefulPods, nodeGoneSeconds, pods: o.pods, nodes: o.nodes ?? [], now: o.now };
  const release = statefulPodToRelease(input);
  if (!release) {
    const due = releaseDueInMs(input);
    return due === undefined ? { events: [] } : { events: [], releaseDueInMs: due };
  }
  return {
    deletePod: { name: release.name, uid: release.uid, force: true },
    cause: 'LostNode',
    events: [{ type: 'Warning', reason: 'StatefulPodReleased', message: `force-deleted pod ${release.name}: node ${release.node} has been lost for ${release.lostFor}s (failover.nodeGoneSeconds ${nodeGoneSeconds}, releaseStatefulPods: ForceDelete); ${o.workload?.kind === 'Deployment' ? 'the Deployment starts its replacement' : 'the StatefulSet recreates it'} on another node. Should ${release.node} still run the old pod, two copies run until it stops` }],
  };
}

/** The pod an action deletes: only RestartPod's; the others are carried by the objects built (a memory limit, a rollback template) or are nothing to do. */
function podToRestart(action: Action): string | undefined {
  switch (action.type) {
    case 'RestartPod': return action.pod;
    case 'None': case 'IncreaseMemory': case 'Rollback': case 'Hold': return undefined;
    default: return assertNever(action);
  }
}

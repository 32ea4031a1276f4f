import type { Failure, PodFailureReason } from '../health/failure.ts';
import type { RecoveryPolicy } from './steps.ts';

// What each failure class lets the policy do.

/** Restarts (pod deletions) can help these. */
export const restartClasses: ReadonlySet<PodFailureReason> = new Set<PodFailureReason>(['CrashLoopBackOff', 'LivenessProbeFailure', 'ProbeFailure', 'OOMKilled']);

/** Deleting the pod cannot fix these, but running the last healthy revision may. */
export const rollbackClasses: ReadonlySet<PodFailureReason> = new Set<PodFailureReason>(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'Unschedulable']);

/**
 * Reported only: no restart or rollback binds a volume (PVCPending), and a
 * pod on a lost node is Kubernetes' to evict once its toleration runs out
 * (NodeLost; deleting it sooner would only bypass spec.failover.nodeLostSeconds).
 */
export const reportOnlyClasses: ReadonlySet<PodFailureReason> = new Set<PodFailureReason>(['PVCPending', 'NodeLost']);

/**
 * Only a pod the kubelet is holding back, or whose readiness keeps failing;
 * never a container mid-retry. An OOM kill is the memory policy's while it can
 * still raise the limit (`atCap` false), a restart's like any crash after that.
 */
export function canRestart(f: Failure, policy: RecoveryPolicy, atCap = false): boolean {
  if (!f.pod) return false;
  switch (f.reason) {
    case 'CrashLoopBackOff':
    case 'LivenessProbeFailure': return f.containerState === 'waiting';
    case 'ProbeFailure': return true;
    case 'OOMKilled': return (policy.oomKilled.action === 'None' || atCap) && f.containerState !== 'running';
    default: return false;
  }
}

/** The longest-failing pod first; pod name breaks ties, so the choice is deterministic. */
export function byAge(a: Failure, b: Failure): number {
  const sa = a.since ?? '';
  const sb = b.since ?? '';
  if (sa !== sb) return sa < sb ? -1 : 1;
  return (a.pod ?? '').localeCompare(b.pod ?? '');
}

import type { V1DaemonSet, V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Failure } from '../health/failure.ts';
import { revisionAnnotation } from '../api/annotations.ts';
import type { Workload } from '../desired/workload.ts';
import type { Rollout } from './rollout-summary.ts';
import { observedOf, readDaemonSetRollout, readStatefulSetRollout, templateFacts } from './workload-rollout.ts';

export function readRollout(workload: Workload | undefined, desiredReplicas: number, containerName = 'agent'): Rollout {
  if (!workload) {
    return { exists: false, observed: false, complete: false, inProgress: false, deadlineExceeded: false, replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0 };
  }
  if (workload.kind === 'DaemonSet') return readDaemonSetRollout(workload as V1DaemonSet, containerName);
  if (workload.kind === 'StatefulSet') return readStatefulSetRollout(workload as V1StatefulSet, desiredReplicas, containerName);
  const deployment = workload as V1Deployment;
  const s = deployment.status ?? {};
  const replicas = s.replicas ?? 0;
  const updatedReplicas = s.updatedReplicas ?? 0;
  const availableReplicas = s.availableReplicas ?? 0;
  const observed = observedOf(deployment);
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  const deadlineExceeded = progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
  const complete = observed && updatedReplicas >= desiredReplicas && replicas <= updatedReplicas && availableReplicas >= updatedReplicas;
  // After a rollout the controller keeps Progressing=True/NewReplicaSetAvailable; a pod that
  // fails later does not make the rollout "in progress" again, so the policy may act on it.
  const settled = progressing?.reason === 'NewReplicaSetAvailable';
  const r: Rollout = {
    exists: true, kind: 'Deployment', observed, complete, deadlineExceeded,
    inProgress: !deadlineExceeded && (!observed || (!complete && !settled)),
    replicas, readyReplicas: s.readyReplicas ?? 0, updatedReplicas, availableReplicas,
    ...templateFacts(deployment, containerName),
  };
  if (deadlineExceeded && progressing?.message) r.deadlineMessage = progressing.message;
  return r;
}

/**
 * The `healthy` the recovery policy takes: the Deployment has rolled out
 * completely and every desired replica is ready. (Failures are checked by the
 * policy itself.) Zero desired replicas are healthy once no pod is left.
 */
export function rolloutHealthy(r: Rollout, desiredReplicas: number): boolean {
  if (!r.exists) return false;
  if (desiredReplicas === 0) return r.observed && r.replicas === 0;
  return r.complete && r.readyReplicas >= desiredReplicas;
}

/**
 * Every pod of `revision` that is still meant to run has an active failure
 * (and there is one): the revision is failing as a whole, whatever the
 * Deployment's progress clock says. A pod deletion creates a pod, which the
 * Deployment counts as progress, so that clock is no judge of a bad release.
 */
/**
 * Whether a pod of another revision than `revision` is Ready, not being
 * deleted and has no active failure: something healthy still serves while
 * `revision` rolls out (a memory raise keeps minReadySeconds then, see
 * desired/deployment.ts).
 */
export function healthyPodsOfOtherRevisions(pods: readonly V1Pod[], revision: string | undefined, failures: readonly Failure[]): boolean {
  const failing = new Set(failures.filter((f) => f.active && f.podUid !== undefined).map((f) => f.podUid));
  return pods.some((p) => p.metadata?.annotations?.[revisionAnnotation] !== revision && p.metadata?.deletionTimestamp === undefined
    && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
    && !failing.has(p.metadata?.uid ?? p.metadata?.name ?? ''));
}

export function revisionFailing(pods: readonly V1Pod[], revision: string | undefined, failures: readonly Failure[]): boolean {
  if (revision === undefined) return false;
  const failing = new Set(failures.filter((f) => f.active && f.podUid !== undefined).map((f) => f.podUid));
  const mine = pods.filter((p) => p.metadata?.annotations?.[revisionAnnotation] === revision && p.metadata?.deletionTimestamp === undefined
    && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  return mine.length > 0 && mine.every((p) => failing.has(p.metadata?.uid ?? p.metadata?.name ?? ''));
}

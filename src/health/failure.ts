import type { FailureReason } from '../api/reasons.ts';

/** The failure classes read from pods and the PVC (the rest of FailureReason is seen by the operator itself). */
export type PodFailureReason = Extract<FailureReason,
  'OOMKilled' | 'CrashLoopBackOff' | 'ImagePullBackOff' | 'ErrImagePull' | 'CreateContainerConfigError' | 'ProbeFailure' | 'LivenessProbeFailure' | 'Unschedulable' | 'PVCPending'>;

/**
 * One distinct failure seen in the cluster.
 *
 * `key` names the occurrence, not the symptom: re-reading the same pod status
 * (or reading it after an operator restart) gives the same key, and a new
 * occurrence (the next OOM kill of the container, another pod) gives a new one.
 */
export interface Failure {
  reason: PodFailureReason;
  key: string;
  /**
   * False when the failure is over but still visible: an OOM kill in
   * lastState of a container that has since come back ready. Such a failure
   * is counted once, but it is no reason for Degraded and nothing to remediate.
   */
  active: boolean;
  pod?: string;
  podUid?: string;
  container?: string;
  /** waiting: the kubelet is holding the container back (its own backoff); running: it is up (maybe unready). */
  containerState?: 'waiting' | 'running' | 'terminated';
  exitCode?: number;
  restartCount?: number;
  /** The pod's agent-operator.dev/revision annotation: which revision failed. */
  revision?: string;
  /** When it started or happened (RFC 3339), when the cluster says. */
  since?: string;
  /**
   * For a container that died (OOMKilled, CrashLoopBackOff): when the run that
   * ended in this failure started. With `since`, how long it was up.
   */
  ranSince?: string;
  /** The image, for pull failures. */
  image?: string;
  /** The container's memory limit from the pod spec, for OOM kills: the limit that was hit. */
  memoryLimit?: string;
  /**
   * What the kubelet or scheduler said, verbatim. Never the container's
   * termination message: that is whatever the program printed and may hold a secret.
   */
  message: string;
}

/** status.recovery.seenFailures holds at most this many keys (the schema's maxItems). */
export const maxSeenFailures = 64;

/**
 * Splits failures into the ones never counted before and the rest, and gives
 * the next seenFailures list.
 *
 * Invariants: a key visible now is never dropped from the list (so nothing
 * still visible can be counted twice however many others come and go); the
 * oldest invisible keys are dropped first; and the same failures against the
 * list this returned give back the identical list, so a converged Agent
 * writes no status.
 */
export function countNew(failures: readonly Failure[], seenKeys: readonly string[] | undefined): { fresh: Failure[]; seen: string[] } {
  const previous = seenKeys ?? [];
  const known = new Set(previous);
  const visible = new Set<string>();
  const fresh: Failure[] = [];
  for (const f of failures) {
    if (visible.has(f.key)) continue;
    visible.add(f.key);
    if (!known.has(f.key)) fresh.push(f);
  }
  const stale = previous.filter((k) => !visible.has(k));
  const stillVisible = previous.filter((k) => visible.has(k));
  const next = [...stale, ...stillVisible, ...fresh.map((f) => f.key)];
  return { fresh, seen: next.slice(Math.max(0, next.length - maxSeenFailures)) };
}

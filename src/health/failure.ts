import type { FailureReason } from '../api/reasons.ts';

/** The failure classes read from pods, the PVC and ReplicaSets (the rest of FailureReason is seen by the operator itself). */
export type PodFailureReason = Extract<FailureReason,
  'OOMKilled' | 'CrashLoopBackOff' | 'ImagePullBackOff' | 'ErrImagePull' | 'CreateContainerConfigError' | 'ProbeFailure' | 'LivenessProbeFailure' | 'Unschedulable' | 'PVCPending'
  | 'QuotaExceeded' | 'LimitRangeViolation' | 'NodeLost'>;

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
  /**
   * Which run of the container failed, counted like restartCount (0 = the
   * first). Differs from restartCount when the failed run is in lastState of
   * a container running again. Failures of one container are counted once
   * per instance (countNew).
   */
  instance?: number;
  /** The pod's agent-operator.dev/revision annotation: which revision failed. */
  revision?: string;
  /** When it started or happened (RFC 3339), when the cluster says. */
  since?: string;
  /**
   * For a container that died (OOMKilled, CrashLoopBackOff): when the run that
   * ended in this failure started. With `since`, how long it was up.
   */
  ranSince?: string;
  /** NodeLost: the node the pod is bound to. */
  node?: string;
  /** The image, for pull failures. */
  image?: string;
  /** The container's memory limit from the pod spec, for OOM kills: the limit that was hit; for a refused ReplicaSet, the limit refused. */
  memoryLimit?: string;
  /** QuotaExceeded, LimitRangeViolation: the ReplicaSet that cannot create pods. */
  replicaSet?: string;
  /** The refused pods carry the memory raise in force (status.recovery.memoryLimit): the policy holds it. */
  refusedRaise?: boolean;
  /**
   * What the kubelet or scheduler said, verbatim. Never the container's
   * termination message: that is whatever the program printed (lastWords).
   */
  message: string;
  /**
   * For a container that died: the tail of its termination message (its log
   * under FallbackToLogsOnError), scrubbed of referenced Secret values by
   * src/kube/secrets.ts before anything else saw it; at most 5 lines / 1 KiB.
   */
  lastWords?: string;
}

/** Entries of status.recovery.seenFailures kept for containers no longer visible (pods gone or recovered). */
export const maxSeenFailures = 64;

/** The schema's maxItems: every visible container (replicas are at most 1,000) plus the gone ones. */
export const maxSeenFailureEntries = 2048;

/**
 * Where a failure happens and how far along: one container of one pod (or
 * the pod, or the PVC), the container instance, and the failure class (the
 * key's first part, so ErrImagePull and ImagePullBackOff stay one class).
 */
function slotOf(f: Failure): { slot: string; order: number; cls: string } {
  const cls = f.key.slice(0, f.key.indexOf('/') < 0 ? undefined : f.key.indexOf('/'));
  const slot = f.podUid !== undefined ? `${f.podUid}/${f.container ?? ''}` : f.key;
  return { slot, order: f.instance ?? f.restartCount ?? 0, cls };
}

interface Mark { order: number; classes: string[] }

/** `slot@order:Class,Class`; also reads the per-failure keys of older operators (`Class/uid/container/rN[/since]`). */
function parseEntry(entry: string): [string, Mark] | undefined {
  const at = entry.lastIndexOf('@');
  if (at > 0) {
    const colon = entry.indexOf(':', at);
    const order = Number(entry.slice(at + 1, colon));
    if (colon < 0 || !Number.isInteger(order)) return undefined;
    return [entry.slice(0, at), { order, classes: entry.slice(colon + 1).split(',') }];
  }
  const [cls, uid, container, instance] = entry.split('/');
  if (cls === undefined || uid === undefined) return undefined;
  if (cls === 'PVCPending') return [entry, { order: 0, classes: [cls] }];
  const n = /^r(\d+)$/.exec(instance ?? 'r0');
  return n ? [`${uid}/${container ?? ''}`, { order: Number(n[1]), classes: [cls] }] : undefined;
}

/**
 * Splits failures into the ones never counted before and the rest, and gives
 * the next status.recovery.seenFailures.
 *
 * The record is one high-water mark per container (per pod for scheduling,
 * per PVC): the highest container instance counted there and the classes
 * counted at it. A failure is new when its instance is higher, or its class
 * new at that instance. So it stays as small as the set of failing
 * containers, however often they fail, and:
 * - a container visible now is never dropped from it (nothing still visible
 *   is counted twice, however many replicas fail at once);
 * - gone containers are kept up to maxSeenFailures, the oldest dropped first;
 * - the same failures against the record this returned give back the
 *   identical record, so a converged Agent writes no status.
 */
export function countNew(failures: readonly Failure[], seenEntries: readonly string[] | undefined): { fresh: Failure[]; seen: string[] } {
  const marks = new Map<string, Mark>();
  for (const entry of seenEntries ?? []) {
    const parsed = parseEntry(entry);
    if (parsed) marks.set(parsed[0], mergeMarks(marks.get(parsed[0]), parsed[1]));
  }
  const visible = new Set<string>();
  const fresh: Failure[] = [];
  for (const f of failures) {
    const { slot, order, cls } = slotOf(f);
    visible.add(slot);
    const m = marks.get(slot);
    if (m !== undefined && (order < m.order || (order === m.order && m.classes.includes(cls)))) continue;
    fresh.push(f);
    // A new instance moves to the young end; another class at the same instance stays where it is.
    if (m === undefined || order > m.order) {
      marks.delete(slot);
      marks.set(slot, { order, classes: [cls] });
    } else {
      m.classes = [...m.classes, cls].sort();
    }
  }
  const gone = [...marks.keys()].filter((slot) => !visible.has(slot));
  const dropped = new Set(gone.slice(0, Math.max(0, gone.length - maxSeenFailures)));
  const seen = [...marks].filter(([slot]) => !dropped.has(slot)).map(([slot, m]) => `${slot}@${m.order}:${m.classes.join(',')}`);
  return { fresh, seen: seen.slice(Math.max(0, seen.length - maxSeenFailureEntries)) };
}

function mergeMarks(a: Mark | undefined, b: Mark): Mark {
  if (a === undefined || b.order > a.order) return b;
  if (b.order < a.order) return a;
  return { order: a.order, classes: [...new Set([...a.classes, ...b.classes])].sort() };
}

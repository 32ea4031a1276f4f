import type { V1Container, V1ContainerStateTerminated, V1ContainerStatus, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { revisionAnnotation } from '../api/annotations.ts';
import { statusTime, toMs } from '../lib/time.ts';
import type { Failure } from './failure.ts';
import { terminationKey } from './last-words.ts';

// Pod statuses -> failures, read the way the kubelet writes them and VPA reads
// them. Pure: the clock comes in as `now`.

/** The timing fields of a probe (a ResolvedProbe fits). */
export interface ProbeThresholds {
  periodSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

export interface DetectInput {
  /** The Agent's pods (any revision). */
  pods: readonly V1Pod[];
  pvc?: V1PersistentVolumeClaim | undefined;
  /** The readiness probe in force; without one a running container is ready, so no ProbeFailure. */
  readiness?: ProbeThresholds | undefined;
  /**
   * A startup probe the user gave (health.startup): a never-ready container
   * gets its window on top. Leave the default one out: it is a safety net for
   * liveness, not a claim that the agent starts slowly, and counting it would
   * hide a hung container for 150 s.
   */
  startup?: ProbeThresholds | undefined;
  /**
   * Without the user's startup probe, the default one still holds readiness
   * probing back until its first pass: its initial delay plus one period. A
   * never-ready container gets that much on top, or every start with a
   * readiness window shorter than the startup period would be a failure.
   */
  startupFirstPassSeconds?: number | undefined;
  now: Date;
  /** A PVC may be Pending this long before it counts (binding and provisioning take a moment). Default 60. */
  pvcPendingGraceSeconds?: number;
  /** A pod may be unschedulable this long before it counts (the scheduler retries). Default 20. */
  unschedulableGraceSeconds?: number;
  /**
   * A container restarted after it died (crash, OOM kill, liveness kill) is
   * still failing until it has run this long and is ready. Default 30.
   */
  restartStableSeconds?: number;
  /**
   * The kubelet's liveness kills, from the pods' events ("failed liveness
   * probe, will be restarted"); undefined when they were not read (no
   * liveness probe, no recent death). When read, a death none of them explains
   * is due for another read livenessEventLagMs after it.
   */
  livenessKills?: readonly LivenessKill[] | undefined;
  /**
   * Dead containers' last words, scrubbed (terminationKey -> tail), shown only
   * for pods of `revision`: the revision hashes the digests of the Secret
   * values read now, so only its pods were given exactly the values the scrub
   * knows. A pod of an older revision may have printed a rotated-out value.
   */
  lastWords?: { revision: string; byKey: Readonly<Record<string, string>> };
}

/** One liveness kill the kubelet announced in an Event on the pod: which container, and when (as precisely as the Event says). */
export interface LivenessKill { podUid: string; container: string; at: string }

export interface Detection {
  failures: Failure[];
  /**
   * When what is seen now turns into a failure, or stops being one, with no
   * further change to any object: a probe's window closes, a grace ends, a
   * restarted container has run long enough. No watch event comes then:
   * plan requeues the reconcile for it.
   */
  nextCheckAt?: number;
}

export const defaultPvcPendingGraceSeconds = 60;
export const defaultUnschedulableGraceSeconds = 20;
/**
 * Longer than the run of a program that crashes at start or soon after, and
 * than the kubelet's first back-off (10 s): a crash loop's running moments
 * between back-offs stay a failure, so Degraded and Ready do not flap.
 */
export const defaultRestartStableSeconds = 30;

/**
 * How long after a container's death its pod's Killing event is read once
 * more, when the read at the death found none. Pod Events are not watched
 * (one targeted list per dead container, src/kube/pod-events.ts), and the
 * kubelet writes the event and the pod's status separately: it records the
 * event before it stops the container, so the event is usually stored first,
 * but a read that comes before its write lands (the kubelet's event queue, a
 * busy apiserver) would leave a liveness kill reported as a crash until some
 * other change of the pod. Once, this long after finishedAt: a real crash
 * costs one more reconcile, not one every period.
 */
export const livenessEventLagMs = 5_000;

const imagePullReasons = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** Reasons the kubelet gives when it cannot create or start the container from its configuration. */
const configReasons = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function detect(input: DetectInput): Detection {
  const now = input.now.getTime();
  const due: number[] = [];
  const ctx: Ctx = { input, now, due: (at) => { if (at > now) due.push(at); } };
  const pods = [...input.pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const failures = pods.flatMap((pod) => podFailures(pod, ctx));
  const pvc = input.pvc && pvcFailure(input.pvc, ctx, (input.pvcPendingGraceSeconds ?? defaultPvcPendingGraceSeconds) * 1000);
  if (pvc) failures.push(pvc);
  const out: Detection = { failures };
  if (due.length) out.nextCheckAt = Math.min(...due);
  return out;
}

interface Ctx { input: DetectInput; now: number; due(at: number): void }

interface PodRef { pod: string; podUid: string; revision?: string }

function podFailures(pod: V1Pod, ctx: Ctx): Failure[] {
  const { input, now } = ctx;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return [];
  const ref: PodRef = { pod: pod.metadata?.name ?? '', podUid: pod.metadata?.uid ?? pod.metadata?.name ?? '' };
  const revision = pod.metadata?.annotations?.[revisionAnnotation];
  if (revision !== undefined) ref.revision = revision;
  const terminating = pod.metadata?.deletionTimestamp !== undefined;

  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    // The scheduler retries on its own, and a pod created a moment before its
    // PVC binds is briefly unschedulable: only a pod that stays so is a failure.
    const since = toMs(scheduled.lastTransitionTime);
    const grace = (input.unschedulableGraceSeconds ?? defaultUnschedulableGraceSeconds) * 1000;
    if (since !== undefined && !terminating) ctx.due(since + grace);
    if (terminating || (since !== undefined && now - since < grace)) return [];
    return [withSince({
      reason: 'Unschedulable', key: `Unschedulable/${ref.podUid}`, active: true, ...ref,
      message: scheduled.message ?? 'the scheduler found no node for the pod',
    }, toMs(scheduled.lastTransitionTime))];
  }

  const out: Failure[] = [];
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const c: ContainerCtx = { ...ctx, ref, spec, terminating, init: true };
  for (const cs of pod.status?.initContainerStatuses ?? []) {
    const f = containerFailure(cs, c);
    if (f) out.push(f);
  }
  c.init = false;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const f = containerFailure(cs, c) ?? (terminating ? undefined : probeFailure(pod, cs, ref, ctx));
    if (f) out.push(f);
  }
  return out;
}

interface ContainerCtx extends Ctx { ref: PodRef; spec: V1Container[]; terminating: boolean; init: boolean }

function containerFailure(cs: V1ContainerStatus, ctx: ContainerCtx): Failure | undefined {
  const { ref, spec } = ctx;
  const { waiting, running, terminated } = cs.state ?? {};
  const last = cs.lastState?.terminated;
  const restarts = cs.restartCount ?? 0;
  const base = { ...ref, container: cs.name, restartCount: restarts };

  // A terminated record is one container instance. The kubelet moves it from
  // state to lastState when it restarts or backs off, so its key must not
  // depend on which of the two it is read from: the container ID when there is
  // one, else its place in the restart count (the current instance while
  // terminated or waiting, the one before while running).
  const oom = (record: V1ContainerStateTerminated, instance: number, containerState: Failure['containerState'], active: boolean): Failure => {
    const f: Failure = withSince({
      reason: 'OOMKilled', key: `OOMKilled/${ref.podUid}/${cs.name}/${instanceId(record, instance)}`, active, ...base,
      containerState, exitCode: record.exitCode, instance,
      message: `OOMKilled (exit code ${record.exitCode})`,
    }, toMs(record.finishedAt));
    const limit = memoryLimit(spec, cs.name);
    if (limit !== undefined) f.memoryLimit = limit;
    return withLastWords(withRanSince(f, record), record, ctx);
  };

  if (terminated?.reason === 'OOMKilled') return oom(terminated, restarts, 'terminated', true);
  if (waiting?.reason !== undefined && imagePullReasons.has(waiting.reason)) {
    return {
      reason: waiting.reason === 'ImagePullBackOff' ? 'ImagePullBackOff' : 'ErrImagePull',
      // ErrImagePull and ImagePullBackOff alternate for one problem: one key.
      key: `ImagePull/${ref.podUid}/${cs.name}`, active: true, ...base, containerState: 'waiting', image: cs.image,
      message: `${waiting.reason}: ${waiting.message ?? 'no message'}`,
    };
  }
  if (waiting?.reason !== undefined && configReasons.has(waiting.reason)) {
    return {
      reason: 'CreateContainerConfigError', key: `CreateContainerConfigError/${ref.podUid}/${cs.name}`, active: true, ...base,
      containerState: 'waiting', image: cs.image,
      message: waiting.reason === 'CreateContainerConfigError' ? (waiting.message ?? waiting.reason) : `${waiting.reason}: ${waiting.message ?? 'no message'}`,
    };
  }
  if (waiting?.reason === 'CrashLoopBackOff') {
    // An OOM-killed container crash-loops too; the OOM kill is the cause worth naming.
    if (last?.reason === 'OOMKilled') return oom(last, restarts, 'waiting', true);
    if (!last) {
      return { reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/${ref.podUid}/${cs.name}/r${restarts}`, active: true, ...base, containerState: 'waiting', instance: restarts, message: 'back-off restarting the failed container' };
    }
    return died(cs, last, restarts, 'waiting', true, ctx);
  }
  // Just died, before the kubelet restarts it or backs off. Not in a pod being
  // deleted (containers stop there by request), and not an init container that
  // finished its job.
  if (terminated && !ctx.terminating && !(ctx.init && terminated.exitCode === 0)) return died(cs, terminated, restarts, 'terminated', true, ctx);
  if (last && !ctx.init) {
    // Restarted after a death: failing still until it has proven itself, so
    // the moments a crash loop runs between back-offs are not health.
    const instance = running ? restarts - 1 : restarts;
    if (instance < 0) return undefined;
    const state = running ? 'running' : 'waiting';
    const active = !running || !cs.ready || !stable(running.startedAt, ctx);
    return last.reason === 'OOMKilled' ? oom(last, instance, state, active) : died(cs, last, instance, state, active, ctx);
  }
  return undefined;
}

/** Up and ready for restartStableSeconds; schedules the check for when it will be, if not yet. */
function stable(startedAt: Date | string | undefined, ctx: Ctx): boolean {
  const since = toMs(startedAt);
  if (since === undefined) return true;
  const at = since + (ctx.input.restartStableSeconds ?? defaultRestartStableSeconds) * 1000;
  ctx.due(at);
  return ctx.now >= at;
}

/**
 * A container instance that exited (not an OOM kill): a crash, or a kill by
 * the kubelet for a failing liveness probe, which only the pod's events tell
 * apart (a program that handles SIGTERM exits 0 then). The key names the
 * instance, not the class, so an event read a moment after the status turns
 * the same occurrence into a liveness failure without counting it twice.
 */
function died(cs: V1ContainerStatus, record: V1ContainerStateTerminated, instance: number, containerState: Failure['containerState'], active: boolean, ctx: ContainerCtx): Failure {
  const { ref } = ctx;
  const liveness = killedForLiveness(record, ref.podUid, cs.name, ctx.input.livenessKills);
  const finished = toMs(record.finishedAt);
  if (!liveness && ctx.input.livenessKills !== undefined && finished !== undefined) ctx.due(finished + livenessEventLagMs);
  const what = `${record.reason ?? 'exit'} (exit code ${record.exitCode})`;
  const message = liveness ? `killed by the kubelet for a failing liveness probe, then ${what}`
    : containerState === 'waiting' ? `back-off restarting after ${what}`
    : containerState === 'terminated' ? `exited with ${what}` : `restarted after ${what}`;
  const f: Failure = withSince({
    reason: liveness ? 'LivenessProbeFailure' : 'CrashLoopBackOff', key: `CrashLoopBackOff/${ref.podUid}/${cs.name}/${instanceId(record, instance)}`,
    active, ...ref, container: cs.name, restartCount: cs.restartCount ?? 0, containerState, exitCode: record.exitCode, instance, message,
  }, toMs(record.finishedAt));
  return withLastWords(withRanSince(f, record), record, ctx);
}

function withLastWords(f: Failure, record: V1ContainerStateTerminated, ctx: ContainerCtx): Failure {
  const words = ctx.input.lastWords;
  if (!words || ctx.ref.revision !== words.revision || f.container === undefined) return f;
  const text = words.byKey[terminationKey(ctx.ref.podUid, f.container, record)];
  if (text !== undefined) f.lastWords = text;
  return f;
}

/** An Event's times have whole seconds: a kill within the run, give or take one second, ended it. */
function killedForLiveness(record: V1ContainerStateTerminated, podUid: string, container: string, kills: readonly LivenessKill[] | undefined): boolean {
  const from = toMs(record.startedAt);
  const to = toMs(record.finishedAt);
  return (kills ?? []).some((k) => {
    if (k.podUid !== podUid || k.container !== container) return false;
    const at = toMs(k.at);
    return at !== undefined && (from === undefined || at >= from - 1000) && (to === undefined || at <= to + 1000);
  });
}

/**
 * A running container that has not been ready for longer than its readiness
 * probe allows (initialDelay + period x failureThreshold), measured from the
 * later of the pod's Ready transition and the container's start. A container
 * not ready at any point since it started also gets the startup window
 * given in `startup`, because readiness is not probed before startup passes.
 */
function probeFailure(pod: V1Pod, cs: V1ContainerStatus, ref: PodRef, ctx: Ctx): Failure | undefined {
  const { input, now } = ctx;
  const readiness = input.readiness;
  const running = cs.state?.running;
  // A container whose startup probe has not passed is not probed for
  // readiness yet, but it is not serving either: it counts the same.
  if (!readiness || !running || cs.ready) return undefined;
  const readyCondition = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (readyCondition?.status !== 'False') return undefined;
  const startedAt = toMs(running.startedAt) ?? 0;
  const transition = toMs(readyCondition.lastTransitionTime) ?? startedAt;
  const since = Math.max(startedAt, transition);
  const neverReady = transition <= startedAt;
  const window = (p: ProbeThresholds) => p.initialDelaySeconds + p.periodSeconds * p.failureThreshold;
  const startupAllowance = input.startup ? window(input.startup) : (input.startupFirstPassSeconds ?? 0);
  const allowed = window(readiness) + (neverReady ? startupAllowance : 0);
  ctx.due(since + allowed * 1000 + 1);
  if (now - since <= allowed * 1000) return undefined;
  const sinceText = statusTime(since);
  return {
    reason: 'ProbeFailure', key: `ProbeFailure/${ref.podUid}/${cs.name}/r${cs.restartCount ?? 0}/${sinceText}`, active: true,
    ...ref, container: cs.name, containerState: 'running', restartCount: cs.restartCount ?? 0, since: sinceText,
    message: `not ready since ${sinceText}${cs.started === false ? ' (its startup probe has not passed)' : ''}; the readiness probe allows ${allowed}s (${readiness.failureThreshold} x ${readiness.periodSeconds}s + ${readiness.initialDelaySeconds}s initial delay${neverReady && input.startup ? ` + ${window(input.startup)}s startup window` : neverReady && startupAllowance ? ` + ${startupAllowance}s for the startup probe's first pass` : ''})`,
  };
}

function pvcFailure(pvc: V1PersistentVolumeClaim, ctx: Ctx, graceMs: number): Failure | undefined {
  const { now } = ctx;
  const phase = pvc.status?.phase;
  if (phase !== 'Pending' && phase !== 'Lost') return undefined;
  const created = toMs(pvc.metadata?.creationTimestamp);
  if (phase === 'Pending' && created !== undefined) ctx.due(created + graceMs + 1);
  if (phase === 'Pending' && created !== undefined && now - created <= graceMs) return undefined;
  const name = pvc.metadata?.name ?? '';
  const storageClass = pvc.spec?.storageClassName;
  const size = pvc.spec?.resources?.requests?.storage;
  return withSince({
    reason: 'PVCPending', key: `PVCPending/${pvc.metadata?.uid ?? name}`, active: true,
    message: `PersistentVolumeClaim ${name} is ${phase} (storage class ${storageClass === undefined ? '(cluster default)' : storageClass}${size === undefined ? '' : `, size ${String(size)}`})`,
  }, created);
}

function instanceId(record: V1ContainerStateTerminated, instance: number): string {
  const id = record.containerID?.replace(/^[a-z0-9-]+:\/\//, '');
  return id ? id.slice(0, 12) : `r${instance}`;
}

function memoryLimit(spec: V1Container[], name: string): string | undefined {
  const limit = spec.find((c) => c.name === name)?.resources?.limits?.memory;
  return limit === undefined ? undefined : String(limit);
}

function withRanSince(f: Failure, record: V1ContainerStateTerminated): Failure {
  const ms = toMs(record.startedAt);
  if (ms !== undefined) f.ranSince = statusTime(ms);
  return f;
}

function withSince<T extends Failure>(f: T, ms: number | undefined): T {
  if (ms !== undefined) f.since = statusTime(ms);
  return f;
}

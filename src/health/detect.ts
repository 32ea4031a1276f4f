import type { V1Container, V1ContainerStateTerminated, V1ContainerStatus, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { statusTime, toMs } from '../status/time.ts';
import type { Failure } from './failure.ts';

// Pod statuses -> failures, read the way the kubelet writes them and VPA reads
// them. Pure: the clock comes in as `now`.

import { revisionAnnotation } from '../api/annotations.ts';

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
  /** The startup probe, if any: a never-ready container gets its window on top. */
  startup?: ProbeThresholds | undefined;
  now: Date;
  /** A PVC may be Pending this long before it counts (binding and provisioning take a moment). Default 60. */
  pvcPendingGraceSeconds?: number;
  /** A pod may be unschedulable this long before it counts (the scheduler retries). Default 20. */
  unschedulableGraceSeconds?: number;
}

export const defaultPvcPendingGraceSeconds = 60;
export const defaultUnschedulableGraceSeconds = 20;

const imagePullReasons = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** Reasons the kubelet gives when it cannot create or start the container from its configuration. */
const configReasons = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function detectFailures(input: DetectInput): Failure[] {
  const now = input.now.getTime();
  const pods = [...input.pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const failures = pods.flatMap((pod) => podFailures(pod, input, now));
  const pvc = input.pvc && pvcFailure(input.pvc, now, (input.pvcPendingGraceSeconds ?? defaultPvcPendingGraceSeconds) * 1000);
  if (pvc) failures.push(pvc);
  return failures;
}

interface PodRef { pod: string; podUid: string; revision?: string }

function podFailures(pod: V1Pod, input: DetectInput, now: number): Failure[] {
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
    if (terminating || (since !== undefined && now - since < grace)) return [];
    return [withSince({
      reason: 'Unschedulable', key: `Unschedulable/${ref.podUid}`, active: true, ...ref,
      message: scheduled.message ?? 'the scheduler found no node for the pod',
    }, toMs(scheduled.lastTransitionTime))];
  }

  const out: Failure[] = [];
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const cs of pod.status?.initContainerStatuses ?? []) {
    const f = containerFailure(cs, ref, spec);
    if (f) out.push(f);
  }
  for (const cs of pod.status?.containerStatuses ?? []) {
    const f = containerFailure(cs, ref, spec) ?? (terminating ? undefined : probeFailure(pod, cs, ref, input, now));
    if (f) out.push(f);
  }
  return out;
}

function containerFailure(cs: V1ContainerStatus, ref: PodRef, spec: V1Container[]): Failure | undefined {
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
    return withRanSince(f, record);
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
    const f: Failure = withSince({
      reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/${ref.podUid}/${cs.name}/${last ? instanceId(last, restarts) : `r${restarts}`}`,
      active: true, ...base, containerState: 'waiting', instance: restarts,
      message: last ? `back-off restarting after ${last.reason ?? 'exit'} (exit code ${last.exitCode})` : 'back-off restarting the failed container',
    }, toMs(last?.finishedAt));
    if (last) f.exitCode = last.exitCode;
    return last ? withRanSince(f, last) : f;
  }
  if (last?.reason === 'OOMKilled') {
    // Recovered once the container is back and ready; counted once either way.
    const instance = running ? restarts - 1 : restarts;
    if (instance < 0) return undefined;
    return oom(last, instance, running ? 'running' : 'waiting', !(running && cs.ready));
  }
  return undefined;
}

/**
 * A running container that has not been ready for longer than its readiness
 * probe allows (initialDelay + period x failureThreshold), measured from the
 * later of the pod's Ready transition and the container's start. A container
 * not ready at any point since it started also gets the startup probe's
 * window, because readiness is not probed before startup passes.
 */
function probeFailure(pod: V1Pod, cs: V1ContainerStatus, ref: PodRef, input: DetectInput, now: number): Failure | undefined {
  const readiness = input.readiness;
  const running = cs.state?.running;
  if (!readiness || !running || cs.ready || cs.started === false) return undefined;
  const readyCondition = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (readyCondition?.status !== 'False') return undefined;
  const startedAt = toMs(running.startedAt) ?? 0;
  const transition = toMs(readyCondition.lastTransitionTime) ?? startedAt;
  const since = Math.max(startedAt, transition);
  const neverReady = transition <= startedAt;
  const window = (p: ProbeThresholds) => p.initialDelaySeconds + p.periodSeconds * p.failureThreshold;
  const allowed = window(readiness) + (neverReady && input.startup ? window(input.startup) : 0);
  if (now - since <= allowed * 1000) return undefined;
  const sinceText = statusTime(since);
  return {
    reason: 'ProbeFailure', key: `ProbeFailure/${ref.podUid}/${cs.name}/r${cs.restartCount ?? 0}/${sinceText}`, active: true,
    ...ref, container: cs.name, containerState: 'running', restartCount: cs.restartCount ?? 0, since: sinceText,
    message: `not ready since ${sinceText}; the readiness probe allows ${allowed}s (${readiness.failureThreshold} x ${readiness.periodSeconds}s + ${readiness.initialDelaySeconds}s initial delay${neverReady && input.startup ? ` + ${window(input.startup)}s startup window` : ''})`,
  };
}

function pvcFailure(pvc: V1PersistentVolumeClaim, now: number, graceMs: number): Failure | undefined {
  const phase = pvc.status?.phase;
  if (phase !== 'Pending' && phase !== 'Lost') return undefined;
  const created = toMs(pvc.metadata?.creationTimestamp);
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

import type { V1ContainerStateTerminated, V1ContainerStatus, V1PersistentVolumeClaim, V1Pod, V1PodCondition } from '@kubernetes/client-node';

// Fluent builders for pod statuses as the kubelet writes them, so a test reads
// as the situation it sets up: pod('a').crashLooping({ restartCount: 4 }).

/** The tests' "now": 2026-11-27T11:00:00Z. */
export const t0 = Date.UTC(2026, 10, 27, 11, 0, 0);
export const at = (secondsFromT0: number): Date => new Date(t0 + secondsFromT0 * 1000);

interface OomOptions {
  restartCount?: number;
  /** Where the kubelet shows the kill: state (just died), lastState while waiting (crash loop), lastState while running. */
  shownAs?: 'state' | 'waiting' | 'running';
  ready?: boolean;
  containerID?: string;
  finishedAt?: Date;
}

export class PodBuilder {
  readonly #pod: V1Pod;

  constructor(name: string) {
    this.#pod = {
      metadata: { name, uid: `uid-${name}`, annotations: { 'agent-operator.dev/revision': 'rev1' }, creationTimestamp: at(-3600) },
      spec: { containers: [{ name: 'agent', image: 'registry.example/agent:v1', resources: { limits: { memory: '256Mi' } } }] },
      status: {
        phase: 'Running',
        conditions: [condition('PodScheduled', 'True', -3600), condition('Ready', 'True', -3500)],
        containerStatuses: [{
          name: 'agent', image: 'registry.example/agent:v1', imageID: '', ready: true, started: true, restartCount: 0,
          state: { running: { startedAt: at(-3550) } },
        }],
      },
    };
  }

  revision(revision: string): this {
    this.#pod.metadata!.annotations!['agent-operator.dev/revision'] = revision;
    return this;
  }

  memoryLimit(limit: string): this {
    this.#pod.spec!.containers[0]!.resources = { limits: { memory: limit } };
    return this;
  }

  oomKilled(o: OomOptions = {}): this {
    const restartCount = o.restartCount ?? 1;
    const record = { exitCode: 137, reason: 'OOMKilled', finishedAt: o.finishedAt ?? at(-5), ...(o.containerID ? { containerID: o.containerID } : {}) };
    const shownAs = o.shownAs ?? 'waiting';
    this.#container({
      restartCount,
      ready: shownAs === 'running' && (o.ready ?? false),
      state: shownAs === 'state' ? { terminated: record }
        : shownAs === 'waiting' ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } }
        : { running: { startedAt: at(-4) } },
      ...(shownAs === 'state' ? {} : { lastState: { terminated: record } }),
    });
    return this.#notReady(-5);
  }

  crashLooping(o: { restartCount?: number; exitCode?: number; reason?: string; containerID?: string } = {}): this {
    const last = { exitCode: o.exitCode ?? 1, reason: o.reason ?? 'Error', finishedAt: at(-10), ...(o.containerID ? { containerID: o.containerID } : {}) };
    this.#container({
      restartCount: o.restartCount ?? 3, ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=agent' } },
      lastState: { terminated: last },
    });
    return this.#notReady(-10);
  }

  /** The container just exited (not an OOM) and the kubelet is about to restart it: state.terminated, restartCount not raised yet. */
  exited(o: { restartCount?: number; exitCode?: number; reason?: string; containerID?: string } = {}): this {
    this.#container({ restartCount: o.restartCount ?? 0, ready: false, state: { terminated: died(o) } });
    return this.#notReady(-1);
  }

  /** The kubelet restarted the container after a death (in lastState): running since `startedSecondsAgo`, restartCount raised. */
  restarted(o: { restartCount?: number; exitCode?: number; reason?: string; containerID?: string; startedSecondsAgo?: number; ready?: boolean } = {}): this {
    const started = o.startedSecondsAgo ?? 3;
    this.#container({
      restartCount: o.restartCount ?? 1, ready: o.ready ?? true, started: true,
      state: { running: { startedAt: at(-started) } }, lastState: { terminated: died(o) },
    });
    return o.ready === false ? this.#notReady(-started) : this.#ready(-started + 1);
  }

  imagePull(o: { reason?: 'ErrImagePull' | 'ImagePullBackOff' | 'InvalidImageName'; image?: string; message?: string } = {}): this {
    const image = o.image ?? 'registry.example/agent:v9';
    this.#pod.spec!.containers[0]!.image = image;
    this.#container({
      image, restartCount: 0, ready: false, started: false,
      state: { waiting: { reason: o.reason ?? 'ErrImagePull', message: o.message ?? `rpc error: failed to pull and unpack image "${image}": not found` } },
    });
    return this.#notReady(-30);
  }

  configError(message: string, reason = 'CreateContainerConfigError'): this {
    this.#container({ restartCount: 0, ready: false, started: false, state: { waiting: { reason, message } } });
    return this.#notReady(-30);
  }

  /** Running, not ready since `seconds` before t0 (the Ready condition's transition). */
  notReadyFor(seconds: number, o: { restartCount?: number; startedSecondsAgo?: number; started?: boolean } = {}): this {
    this.#container({
      restartCount: o.restartCount ?? 0, ready: false, started: o.started ?? true,
      state: { running: { startedAt: at(-(o.startedSecondsAgo ?? 3550)) } },
    });
    return this.#notReady(-seconds);
  }

  unschedulable(message = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'): this {
    const s = this.#pod.status!;
    s.phase = 'Pending';
    s.conditions = [{ ...condition('PodScheduled', 'False', -20), reason: 'Unschedulable', message }];
    delete s.containerStatuses;
    return this;
  }

  terminating(): this {
    this.#pod.metadata!.deletionTimestamp = at(-1);
    return this;
  }

  phase(phase: string): this {
    this.#pod.status!.phase = phase;
    return this;
  }

  build(): V1Pod {
    return structuredClone(this.#pod);
  }

  #container(patch: Partial<V1ContainerStatus>): void {
    const cs = this.#pod.status!.containerStatuses![0]!;
    delete cs.lastState;
    Object.assign(cs, patch);
  }

  #ready(secondsFromT0: number): this {
    const conditions = this.#pod.status!.conditions!.filter((c) => c.type !== 'Ready');
    conditions.push(condition('Ready', 'True', secondsFromT0));
    this.#pod.status!.conditions = conditions;
    return this;
  }

  #notReady(secondsFromT0: number): this {
    const conditions = this.#pod.status!.conditions!.filter((c) => c.type !== 'Ready');
    conditions.push({ ...condition('Ready', 'False', secondsFromT0), reason: 'ContainersNotReady', message: 'containers with unready status: [agent]' });
    this.#pod.status!.conditions = conditions;
    return this;
  }
}

export const pod = (name: string): PodBuilder => new PodBuilder(name);

/** A terminated record: ran from 12 s to 10 s before t0 unless the caller says otherwise. */
function died(o: { exitCode?: number; reason?: string; containerID?: string }): V1ContainerStateTerminated {
  return {
    exitCode: o.exitCode ?? 1, reason: o.reason ?? (o.exitCode === 0 ? 'Completed' : 'Error'), startedAt: at(-12), finishedAt: at(-10),
    ...(o.containerID ? { containerID: o.containerID } : {}),
  };
}

function condition(type: string, status: string, secondsFromT0: number): V1PodCondition {
  return { type, status, lastTransitionTime: at(secondsFromT0) };
}

export function pvc(o: { phase?: string; createdSecondsAgo?: number; storageClassName?: string; size?: string } = {}): V1PersistentVolumeClaim {
  return {
    metadata: { name: 'agent-data', uid: 'uid-pvc', creationTimestamp: at(-(o.createdSecondsAgo ?? 600)) },
    spec: { resources: { requests: { storage: o.size ?? '1Gi' } }, ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}) },
    status: { phase: o.phase ?? 'Pending' },
  };
}

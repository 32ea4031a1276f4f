// Make pods fail the way a kubelet reports it, on the local control plane's
// kwok nodes: the stages in hack/kwok/stages.yaml act on these annotations
// (docs/local-control-plane.md lists what each fault writes). A fault repeats
// while the annotation stays; removing it makes the pod Running and Ready again.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1ContainerStatus, type V1Pod } from '@kubernetes/client-node';

export type Fault = 'OOMKilled' | 'CrashLoopBackOff' | 'NotReady';

export const FAULT_ANNOTATIONS = {
  inject: 'fault.agent-operator.dev/inject',
  container: 'fault.agent-operator.dev/container',
  exitCode: 'fault.agent-operator.dev/exit-code',
  delay: 'fault.agent-operator.dev/delay',
  backoff: 'fault.agent-operator.dev/backoff',
} as const;

export interface FaultOptions {
  /** only this container fails (default: every container of the pod) */
  container?: string;
  /** CrashLoopBackOff: the exit code in lastState.terminated (default 1) */
  exitCode?: number;
  /** how long a (re)started container runs before the fault shows: ms or a Go duration like "1500ms" (default 2s) */
  delay?: number | string;
  /** OOMKilled/CrashLoopBackOff: time spent in CrashLoopBackOff before the next restart (default 5s) */
  backoff?: number | string;
}

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function annotationsFor(fault: Fault, options: FaultOptions): Record<string, string | null> {
  return {
    [FAULT_ANNOTATIONS.inject]: fault,
    [FAULT_ANNOTATIONS.container]: options.container ?? null,
    [FAULT_ANNOTATIONS.exitCode]: options.exitCode === undefined ? null : String(options.exitCode),
    [FAULT_ANNOTATIONS.delay]: duration(options.delay),
    [FAULT_ANNOTATIONS.backoff]: duration(options.backoff),
  };
}

function duration(d: number | string | undefined): string | null {
  if (d === undefined) return null;
  return typeof d === 'number' ? `${Math.round(d)}ms` : d;
}

/** Starts a fault on one pod (replacing any earlier fault and its options). */
export async function injectFault(core: CoreV1Api, namespace: string, pod: string, fault: Fault, options: FaultOptions = {}): Promise<V1Pod> {
  return core.patchNamespacedPod(
    { name: pod, namespace, body: { metadata: { annotations: annotationsFor(fault, options) } } },
    mergePatch(),
  );
}

/** Stops the fault: the pod returns to Running and Ready, keeping restartCount and lastState as a kubelet does. */
export async function clearFault(core: CoreV1Api, namespace: string, pod: string): Promise<V1Pod> {
  const annotations = Object.fromEntries(Object.values(FAULT_ANNOTATIONS).map((k) => [k, null]));
  return core.patchNamespacedPod({ name: pod, namespace, body: { metadata: { annotations } } }, mergePatch());
}

export interface FaultInjector {
  /** pods annotated so far */
  readonly injected: ReadonlySet<string>;
  /** the last error of a round (a pod gone meanwhile is not one) */
  readonly lastError: unknown;
  /** stops annotating new pods and (unless clear is false) removes the fault from every matching pod */
  stop(options?: { clear?: boolean }): Promise<void>;
}

/**
 * Keeps every pod matching labelSelector (and `only`, when given: e.g. the
 * pods that mount one ConfigMap, as an agent that rejects that config would) failing, including pods created
 * later (the ones a Deployment or the operator makes after deleting or rolling
 * a failing pod), until stop().
 */
export function faultInjector(
  core: CoreV1Api,
  namespace: string,
  labelSelector: string,
  fault: Fault,
  options: FaultOptions & { intervalMs?: number; only?: (pod: V1Pod) => boolean } = {},
): FaultInjector {
  const injected = new Set<string>();
  let lastError: unknown;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  const tick = async () => {
    try {
      const pods = await core.listNamespacedPod({ namespace, labelSelector });
      for (const pod of pods.items) {
        const name = pod.metadata?.name;
        if (!name || pod.metadata?.deletionTimestamp || stopped) continue;
        if (options.only && !options.only(pod)) continue;
        if (pod.metadata?.annotations?.[FAULT_ANNOTATIONS.inject] === fault) continue;
        try {
          await injectFault(core, namespace, name, fault, options);
          injected.add(name);
        } catch (e) {
          if ((e as { code?: unknown }).code !== 404) lastError = e;
        }
      }
    } catch (e) {
      lastError = e;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = tick().finally(schedule);
    }, options.intervalMs ?? 250);
    timer.unref(); // a forgotten stop() must not keep the test process alive
  };
  round = tick().finally(schedule);

  return {
    injected,
    get lastError() {
      return lastError;
    },
    async stop({ clear = true } = {}) {
      stopped = true;
      clearTimeout(timer);
      await round;
      if (!clear) return;
      const pods = await core.listNamespacedPod({ namespace, labelSelector });
      for (const pod of pods.items) {
        const name = pod.metadata?.name;
        if (!name || pod.metadata?.annotations?.[FAULT_ANNOTATIONS.inject] === undefined) continue;
        await clearFault(core, namespace, name).catch((e: unknown) => {
          if ((e as { code?: unknown }).code !== 404) throw e;
        });
      }
    },
  };
}

/** The status of one container (default: the first in spec order). */
export function containerStatus(pod: V1Pod, container?: string): V1ContainerStatus | undefined {
  const name = container ?? pod.spec?.containers[0]?.name;
  return pod.status?.containerStatuses?.find((s) => s.name === name);
}

/** The pod's Ready condition status: 'True', 'False' or undefined. */
export function podReady(pod: V1Pod): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

// Phase 2: detection latency. For each sampled Agent the bench writes an OOM
// kill into its pod's status exactly as a kubelet reports a container's first
// OOM kill under restartPolicy Always (restarted at once: running, ready,
// restartCount +1, lastState.terminated OOMKilled exit 137, new container ID).
// Writing status directly is precise (T0 is the bench's own write, not a kwok
// stage delay), and kwok leaves such a pod alone: no stage in
// hack/kwok/stages.yaml matches a running, ready pod without a fault annotation.
//
//   T0  just before the bench sends the pods/status patch
//   T1  the bench's Agent watch delivers status.lastFailure naming that pod
//   T2  the bench's Event watch delivers the Warning OOMKilled Event on the Agent
//
// T0 is taken before the request, so the latencies include the bench's own
// write round trip (reported separately): an upper bound, never flattering.
import { createHash } from 'node:crypto';
import { statusTime } from '../../src/lib/time.ts';
import { pool } from './converge.ts';
import type { Kube } from './kube.ts';
import { podReady, type ContainerStatus, type Observer, type PodObject } from './observe.ts';

export interface SampleResult {
  agent: string;
  pod: string;
  /** ms */
  writeRtt: number;
  statusMs?: number;
  eventMs?: number;
}

/** The containerStatuses a kubelet writes after a container's first OOM kill (and immediate restart). */
export function oomKilledStatuses(pod: PodObject, nowMs: number): ContainerStatus[] {
  const now = statusTime(nowMs);
  return (pod.status?.containerStatuses ?? []).map((cs) => {
    const restarts = (cs.restartCount ?? 0) + 1;
    const id = createHash('sha256').update(`${pod.metadata.uid ?? pod.metadata.name}/${cs.name}/${restarts}/bench`).digest('hex');
    return {
      ...cs,
      restartCount: restarts,
      ready: true,
      started: true,
      containerID: `containerd://${id}`,
      state: { running: { startedAt: now } },
      lastState: {
        terminated: {
          exitCode: 137, reason: 'OOMKilled',
          startedAt: cs.state?.running?.startedAt ?? now, finishedAt: now,
          ...(cs.containerID ? { containerID: cs.containerID } : {}),
        },
      },
    };
  });
}

/** Evenly spread picks of `count` out of `items` (deterministic, so runs compare). */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]!);
}

/** One sample: an Agent, and the pod of it to OOM-kill (default: any ready one; a fleet Agent names each pod). */
export type DetectionTarget = string | { agent: string; pod: string };

export async function measureDetection(kube: Kube, obs: Observer, ns: string, opts: {
  agents: readonly DetectionTarget[]; concurrency: number; perSampleTimeoutMs: number; deadline: number; progress: (msg: string) => void;
  /** false for an operator that records no events (the Go baseline): a sample ends with the status. */
  expectEvent?: boolean;
}): Promise<SampleResult[]> {
  const expectEvent = opts.expectEvent ?? true;
  const results: SampleResult[] = [];
  await pool(opts.agents, opts.concurrency, async (target) => {
    if (performance.now() > opts.deadline) return;
    const agent = typeof target === 'string' ? target : target.agent;
    const pod = typeof target === 'string'
      ? [...obs.pods.values()].find((p) => p.metadata.labels?.['agent-operator.dev/agent'] === agent && podReady(p))
      : [obs.pods.get(target.pod)].find((p) => p !== undefined && podReady(p));
    if (!pod) return;
    const podName = pod.metadata.name;
    const r: SampleResult = { agent, pod: podName, writeRtt: Number.NaN };
    let t0 = Number.POSITIVE_INFINITY;
    let resolveBoth: () => void = () => {};
    const both = new Promise<void>((res) => { resolveBoth = res; });
    const check = () => { if (r.statusMs !== undefined && (r.eventMs !== undefined || !expectEvent)) resolveBoth(); };
    const offAgent = obs.onAgent((_type, a, at) => {
      const lf = a.status?.lastFailure;
      if (r.statusMs === undefined && a.metadata.name === agent && lf?.pod === podName && lf.reason === 'OOMKilled' && at >= t0) {
        r.statusMs = at - t0;
        check();
      }
    });
    const offEvent = obs.onEvent((type, e, at) => {
      if (r.eventMs === undefined && type === 'ADDED' && e.involvedObject?.name === agent && e.reason === 'OOMKilled' && e.type === 'Warning' && at >= t0
        // A fleet Agent's Events differ by pod: this sample's names its pod.
        && (typeof target === 'string' || e.message?.includes(podName) === true)) {
        r.eventMs = at - t0;
        check();
      }
    });
    try {
      const wall = Date.now();
      t0 = performance.now();
      await kube.request('PATCH', `/api/v1/namespaces/${ns}/pods/${podName}/status`, {
        body: { status: { containerStatuses: oomKilledStatuses(pod, wall) } },
        contentType: 'application/merge-patch+json',
      });
      r.writeRtt = performance.now() - t0;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([both, new Promise<void>((res) => { timer = setTimeout(res, opts.perSampleTimeoutMs); })]);
      clearTimeout(timer);
    } catch (err) {
      opts.progress(`sample ${agent}/${podName}: ${(err as Error).message}`);
    } finally {
      offAgent();
      offEvent();
    }
    results.push(r);
    if (results.length % 25 === 0) opts.progress(`${results.length}/${opts.agents.length} samples`);
  });
  return results;
}

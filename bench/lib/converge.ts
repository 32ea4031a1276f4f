// Phase 1: N Agents created with bounded concurrency, then the wait until every
// one is Ready (status written by the operator for the current generation).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from './kube.ts';
import type { Observer } from './observe.ts';

export const agentName = (i: number): string => `bench-${String(i).padStart(5, '0')}`;

/** The smallest Agent the API allows beyond defaults: image and one replica; no ports, storage or config. */
export function agentManifest(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent',
    metadata: { name },
    spec: { image: 'registry.example/bench-agent:1.0', replicas: 1, ...spec },
  };
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export interface ConvergeResult {
  agents: number;
  createSeconds: number;
  /** From the first create to every Agent Ready (or to the timeout). */
  allReadySeconds: number | undefined;
  /** From the first create to every pod Running and Ready (kwok's doing, after the Deployment and ReplicaSet controllers). */
  allPodsReadySeconds: number | undefined;
  /** From the first create to every Agent settled: Ready and its revision recorded as healthy (60 s later). */
  allSettledSeconds: number | undefined;
  readyAtEnd: number;
  timedOut: boolean;
  /** Per Agent: create request sent -> first seen Ready (seconds). */
  perAgentReadySeconds: number[];
}

export async function converge(kube: Kube, obs: Observer, ns: string, opts: {
  agents: number; concurrency: number; timeoutMs: number; progress: (msg: string) => void;
  /** Also wait until every Agent is settled (default true; the Go baseline records no healthy revision). */
  settle?: boolean;
  /** Called the moment every Agent is Ready (before the wait to settle). */
  onAllReady?: () => Promise<void>;
  /** More of each Agent's spec (bench/compare.ts --oom-action). */
  spec?: Record<string, unknown>;
}): Promise<ConvergeResult> {
  const names = Array.from({ length: opts.agents }, (_, i) => agentName(i + 1));
  const sentAt = new Map<string, number>();
  const t0 = performance.now();
  let created = 0;
  const ticker = setInterval(() => {
    const podsReady = obs.podReadyAt.size;
    opts.progress(`t=${((performance.now() - t0) / 1000).toFixed(0)}s created ${created}/${opts.agents}, pods ready ${podsReady}, Agents ready ${obs.agentReadyAt.size}, settled ${obs.agentSettledAt.size}`);
  }, 10_000);
  try {
    await pool(names, opts.concurrency, async (name) => {
      sentAt.set(name, performance.now());
      for (let attempt = 0; ; attempt++) {
        try {
          await kube.request('POST', `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, { body: agentManifest(name, opts.spec) });
          break;
        } catch (err) {
          // 409: an earlier attempt got through. 429/5xx under load: try again, a few times.
          if ((err as { code?: number }).code === 409) break;
          if (attempt >= 5) throw err;
          await sleep(200 * 2 ** attempt);
        }
      }
      created++;
    });
    const createSeconds = (performance.now() - t0) / 1000;
    const deadline = t0 + opts.timeoutMs;
    while (obs.agentReadyAt.size < opts.agents && performance.now() < deadline) {
      await sleep(100);
    }
    const last = (m: Map<string, number>, n: number) => (m.size >= n ? (Math.max(...m.values()) - t0) / 1000 : undefined);
    const allReadySeconds = last(obs.agentReadyAt, opts.agents);
    if (allReadySeconds !== undefined) await opts.onAllReady?.();
    // Then until every Agent is settled, so that the phases after this one do not overlap the operator's settling writes.
    const settleDeadline = Math.min(deadline, performance.now() + 180_000);
    while ((opts.settle ?? true) && allReadySeconds !== undefined && obs.settledNow(names) < opts.agents && performance.now() < settleDeadline) {
      await sleep(250);
    }
    return {
      agents: opts.agents,
      createSeconds,
      allReadySeconds,
      allSettledSeconds: last(obs.agentSettledAt, opts.agents),
      allPodsReadySeconds: last(obs.podReadyAt, opts.agents),
      readyAtEnd: obs.agentReadyAt.size,
      timedOut: obs.agentReadyAt.size < opts.agents,
      perAgentReadySeconds: names.flatMap((n) => {
        const r = obs.agentReadyAt.get(n);
        const s = sentAt.get(n);
        return r !== undefined && s !== undefined ? [(r - s) / 1000] : [];
      }),
    };
  } finally {
    clearInterval(ticker);
  }
}

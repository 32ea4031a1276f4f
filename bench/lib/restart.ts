// Phase 3: the operator restarted with every Agent converged. A fresh process
// holding the same caches shows the memory the 1,000 Agents themselves cost
// (the first process's RSS also carries what the churn of the earlier phases
// left behind), how long the initial sync and the reconcile of every Agent
// take, and that they write nothing (zero writes when converged, docs/architecture.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { idleMemory } from './measure.ts';
import type { RunningOperator } from './operator.ts';
import { sumOf } from './prom.ts';

export interface RestartResult {
  /** Process start -> /readyz answers 200. */
  readySeconds: number;
  /** Process start -> every Agent reconciled once and the queue empty (undefined: not within the bound). */
  reconciledSeconds: number | null;
  reconciles: number;
  /** Writes (create, update, patch, delete) in that time and the idle seconds after it. */
  writes: number;
  rssIdleMiB: number;
  heapUsedIdleMiB: number;
}

const MiB = 1024 * 1024;

export async function restartOperator(old: RunningOperator, start: () => Promise<RunningOperator>, agents: number, boundMs = 180_000): Promise<{ op: RunningOperator; result: RestartResult }> {
  await old.stop();
  const t0 = performance.now();
  const op = await start();
  const readySeconds = (performance.now() - t0) / 1000;
  let reconciledSeconds: number | null = null;
  while (performance.now() - t0 < boundMs) {
    const s = await op.scrape();
    if (sumOf(s, 'controller_runtime_reconcile_total', { controller: 'agent' }) >= agents && sumOf(s, 'workqueue_depth', { name: 'agent' }) === 0) {
      reconciledSeconds = (performance.now() - t0) / 1000;
      break;
    }
    await sleep(250);
  }
  const idle = await idleMemory(op);
  const s = await op.scrape();
  return {
    op,
    result: {
      readySeconds, reconciledSeconds,
      reconciles: sumOf(s, 'controller_runtime_reconcile_total', { controller: 'agent' }),
      writes: ['create', 'update', 'patch', 'delete'].reduce((n, verb) => n + sumOf(s, 'agent_operator_api_requests_total', { verb }), 0),
      rssIdleMiB: idle.rss / MiB,
      heapUsedIdleMiB: idle.heapUsed / MiB,
    },
  };
}

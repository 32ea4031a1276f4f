// Reading the operator's metrics into phase figures: waiting for quiet, idle
// memory, writes and reconcile times between two scrapes, the time series file.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Point, RunningOperator } from './operator.ts';
import { bucketsOf, deltaOf, sumBy, sumOf, type Sample } from './prom.ts';
import { bucketDelta, histogramQuantile, summarize } from './stats.ts';

export interface Writes {
  /** Writes by verb (create, patch, delete, update) in the phase. */
  byVerb: Record<string, number>;
  /** Writes by `verb resource`. */
  byResource: Record<string, number>;
  total: number;
  /** total / Agents (convergence) or / samples (latency phase). */
  per: number;
  /** Event writes on Agents seen by the bench's watch, by `type reason`. */
  eventsByReason: Record<string, number>;
}

/** requeueAfter: the reconciles that asked to come back at a time (result requeue_after), the cost of timed rules (issue 13). */
export interface ReconcileStats { count: number; requeueAfter: number; meanMs: number; p50Ms: number; p99Ms: number }

const writeVerbs = ['create', 'update', 'patch', 'delete'];

/** The once-a-second scrapes as CSV, for plotting or finding when the queue filled up. */
export function writeSeries(file: string, points: Point[]): void {
  const cols: (keyof Point)[] = ['t', 'rss', 'heapUsed', 'heapTotal', 'cpuSeconds', 'queueDepth', 'writes', 'deploymentApplies', 'reconciles'];
  writeFileSync(file, [cols.join(','), ...points.map((p) => cols.map((c) => (c === 't' ? (p.t / 1000).toFixed(1) : String(p[c]))).join(','))].join('\n') + '\n');
}

/** Waits until the operator's write count stops moving for quietMs (bounded), so a phase's writes are all counted. */
export async function quiet(op: RunningOperator, say: (m: string) => void, quietMs = 5000, maxMs = 90_000): Promise<void> {
  const start = performance.now();
  let last = -1;
  let since = performance.now();
  while (performance.now() - start < maxMs) {
    const s = await op.scrape();
    // Lease renewals (leader election on) go on every 2 s by design: not work.
    const writes = writeVerbs.reduce((n, verb) => n + sumOf(s, 'agent_operator_api_requests_total', { verb }) - sumOf(s, 'agent_operator_api_requests_total', { verb, resource: 'leases' }), 0);
    if (writes !== last) { last = writes; since = performance.now(); } else if (performance.now() - since >= quietMs) return;
    await sleep(500);
  }
  say(`the operator kept writing for ${maxMs / 1000} s; counting what it wrote so far`);
}

/** Resident set and heap with no work to do: the median of 5 scrapes a second apart. */
export async function idleMemory(op: RunningOperator): Promise<{ rss: number; heapUsed: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = await op.scrape();
    rss.push(sumOf(s, 'process_resident_memory_bytes'));
    heap.push(sumOf(s, 'nodejs_heap_size_used_bytes'));
    await sleep(1000);
  }
  return { rss: summarize(rss).p50, heapUsed: summarize(heap).p50 };
}

export function writes(after: Sample[], before: Sample[], per: number, events: Record<string, number>): Writes {
  const verbs = ['create', 'update', 'patch', 'delete', 'deletecollection'];
  const byVerb: Record<string, number> = {};
  const byResource: Record<string, number> = {};
  for (const verb of verbs) {
    const d = deltaOf(sumBy(after, 'agent_operator_api_requests_total', 'resource', { verb }), sumBy(before, 'agent_operator_api_requests_total', 'resource', { verb }));
    for (const [resource, n] of Object.entries(d)) {
      byVerb[verb] = (byVerb[verb] ?? 0) + n;
      byResource[`${verb} ${resource}`] = n;
    }
  }
  const total = Object.values(byVerb).reduce((a, b) => a + b, 0);
  return { byVerb, byResource, total, per: per > 0 ? total / per : Number.NaN, eventsByReason: events };
}

export function reconciles(after: Sample[], before: Sample[]): ReconcileStats {
  const name = 'controller_runtime_reconcile_time_seconds';
  const where = { controller: 'agent' };
  const count = sumOf(after, `${name}_count`, where) - sumOf(before, `${name}_count`, where);
  const sum = sumOf(after, `${name}_sum`, where) - sumOf(before, `${name}_sum`, where);
  const buckets = bucketDelta(bucketsOf(after, name, where), bucketsOf(before, name, where));
  const requeueAfter = sumOf(after, 'controller_runtime_reconcile_total', { ...where, result: 'requeue_after' }) - sumOf(before, 'controller_runtime_reconcile_total', { ...where, result: 'requeue_after' });
  return { count, requeueAfter, meanMs: count ? (sum / count) * 1000 : Number.NaN, p50Ms: histogramQuantile(0.5, buckets) * 1000, p99Ms: histogramQuantile(0.99, buckets) * 1000 };
}

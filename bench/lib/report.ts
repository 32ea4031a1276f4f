// The benchmark's output: a table for people on stdout, then one JSON line for machines.
import type { Machine } from './setup.ts';
import type { ReconcileStats, Writes } from './measure.ts';
import type { RestartResult } from './restart.ts';
import type { Summary } from './stats.ts';

export interface BenchResult {
  date: string;
  machine: Machine;
  cluster: { source: 'local' | 'BENCH_KUBECONFIG'; nodes?: number; upSeconds?: number };
  config: { agents: number; samples: number; workers: number | 'default'; createConcurrency: number; sampleConcurrency: number };
  converge: {
    createSeconds: number; allPodsReadySeconds: number | null; allReadySeconds: number | null; allSettledSeconds: number | null;
    agentsPerSecond: number | null;
    readyAtEnd: number; timedOut: boolean; perAgentReadySeconds: Summary;
  };
  detection: { samples: number; missedStatus: number; missedEvent: number; statusMs: Summary; eventMs: Summary; writeRttMs: Summary };
  operator: {
    rssIdleMiB: number; rssPeakMiB: number; rssEndMiB: number; heapUsedIdleMiB: number; heapUsedPeakMiB: number;
    cpuSecondsConverge: number; cpuSecondsDetection: number; queueDepthPeakConverge: number; queueDepthPeakDetection: number;
    reconcileConverge: ReconcileStats; reconcileDetection: ReconcileStats;
  };
  writes: { converge: Writes; detection: Writes };
  restart: RestartResult | null;
  watchEventsReceivedByBench: Record<string, number>;
}

const f = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));
const row = (cells: string[], widths: number[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

function summaryRow(label: string, s: Summary, digits = 0): string {
  return row([label, String(s.count), f(s.p50, digits), f(s.p90, digits), f(s.p99, digits), f(s.max, digits)], [44, 5, 8, 8, 8, 8]);
}

function writesLine(w: Writes, unit: string): string[] {
  const verbs = Object.entries(w.byVerb).sort().map(([v, n]) => `${v} ${n}`).join(', ') || 'none';
  const resources = Object.entries(w.byResource).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
  const events = Object.entries(w.eventsByReason).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
  return [`  ${w.total} writes (${verbs}) = ${f(w.per, 2)} per ${unit}`, `    by resource: ${resources}`, `    events by reason: ${events}`];
}

export function formatTable(r: BenchResult): string {
  const c = r.converge;
  const d = r.detection;
  const o = r.operator;
  const lines = [
    '',
    `agent-operator detection benchmark, ${r.date}`,
    `machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${f(r.machine.memoryGiB)} GiB, ${r.machine.os}, Node ${r.machine.node}, load ${f(r.machine.loadAverage1m, 1)} at start`,
    `cluster: ${r.cluster.source === 'local' ? `local control plane (hack/cluster, ${r.cluster.nodes} kwok nodes, up in ${f(r.cluster.upSeconds, 1)} s)` : 'BENCH_KUBECONFIG'}`,
    `operator: WORKERS=${r.config.workers}; ${r.config.agents} Agents (image, 1 replica), ${r.config.createConcurrency} creates in flight`,
    '',
    'Convergence',
    `  ${c.readyAtEnd}/${r.config.agents} Agents created in ${f(c.createSeconds, 1)} s; all pods Running+Ready after ${f(c.allPodsReadySeconds, 1)} s; all Agents Ready after ${f(c.allReadySeconds, 1)} s${c.timedOut ? ' (TIMED OUT)' : ''}`,
    `  all settled (Ready revision recorded as healthy, 60 s after Ready) after ${f(c.allSettledSeconds, 1)} s`,
    `  throughput: ${f(c.agentsPerSecond, 1)} Agents/s to Ready`,
    row(['', 'n', 'p50', 'p90', 'p99', 'max'], [44, 5, 8, 8, 8, 8]),
    summaryRow('  create -> Agent Ready (s)', c.perAgentReadySeconds, 1),
    '',
    `Detection latency (ms; ${d.samples} pods OOM-killed, ${r.config.sampleConcurrency} at a time)`,
    row(['', 'n', 'p50', 'p90', 'p99', 'max'], [44, 5, 8, 8, 8, 8]),
    summaryRow('  pod status written -> Agent lastFailure', d.statusMs),
    summaryRow('  pod status written -> Warning Event', d.eventMs),
    summaryRow('  (the bench\'s pod status write round trip)', d.writeRttMs, 1),
    `  not seen within the sample timeout: status ${d.missedStatus}, event ${d.missedEvent}`,
    '',
    'Operator process',
    `  RSS: ${f(o.rssIdleMiB)} MiB idle after convergence, ${f(o.rssPeakMiB)} MiB peak, ${f(o.rssEndMiB)} MiB at the end`,
    `  V8 heap used: ${f(o.heapUsedIdleMiB)} MiB idle, ${f(o.heapUsedPeakMiB)} MiB peak`,
    `  CPU: ${f(o.cpuSecondsConverge, 1)} s during convergence, ${f(o.cpuSecondsDetection, 1)} s during the detection phase`,
    `  workqueue depth peak: ${o.queueDepthPeakConverge} during convergence, ${o.queueDepthPeakDetection} during the detection phase`,
    `  reconciles: convergence ${o.reconcileConverge.count} (${o.reconcileConverge.requeueAfter} ending in requeue_after; mean ${f(o.reconcileConverge.meanMs, 1)} ms, p50 ~${f(o.reconcileConverge.p50Ms)} ms, p99 ~${f(o.reconcileConverge.p99Ms)} ms); detection ${o.reconcileDetection.count} (${o.reconcileDetection.requeueAfter} ending in requeue_after; mean ${f(o.reconcileDetection.meanMs, 1)} ms, p99 ~${f(o.reconcileDetection.p99Ms)} ms)`,
    ...(r.restart ? [
      `  restarted with every Agent converged: ready in ${f(r.restart.readySeconds, 1)} s, all ${r.restart.reconciles} reconciled after ${f(r.restart.reconciledSeconds, 1)} s, ${r.restart.writes} writes;`,
      `    RSS ${f(r.restart.rssIdleMiB)} MiB, V8 heap used ${f(r.restart.heapUsedIdleMiB)} MiB (a fresh process holding the same caches)`,
    ] : []),
    '',
    'API writes by the operator',
    '  convergence:',
    ...writesLine(r.writes.converge, 'Agent').map((l) => `  ${l}`),
    '  detection phase (each sample also rolls the Deployment: IncreaseMemory):',
    ...writesLine(r.writes.detection, 'sample').map((l) => `  ${l}`),
    '',
  ];
  return lines.join('\n');
}

// The side-by-side table of make bench: agent-operator and the Go
// controller-runtime baseline (bench/baseline) on the same work. Pure: the
// figures of each run in, the means per operator and their ratios out.
import { summarize } from './stats.ts';

export type OperatorKind = 'agent-operator' | 'baseline';

/** One operator's figures from one run (bench/compare.ts says how each is taken). */
export interface Figures {
  operator: OperatorKind;
  rssStartMiB: number;
  rssQuietMiB: number;
  rssPeakMiB: number;
  cpuToReadySeconds: number;
  cpuPerWriteMs: number;
  /** The idle span right after convergence: includes the GC of the convergence burst. */
  cpuIdleFirstMinuteSeconds: number;
  gcIdleFirstMinuteSeconds: number;
  /** The idle span after that one: what a settled operator costs per minute. */
  cpuIdleMinuteSeconds: number;
  gcIdleMinuteSeconds: number;
  /** API requests of any kind in that second idle span, per minute (watch bookmarks are not requests). */
  idleRequestsPerMinute: number;
  allReadySeconds: number;
  writesPerAgent: number;
  eventsPerAgent: number;
  detectionP50Ms: number;
  detectionP99Ms: number;
  idleWrites: number;
  idleReconciles: number;
  statusConflicts: number;
}

interface Row { label: string; key: keyof Omit<Figures, 'operator'>; digits: number; unit: string }

export const rows: readonly Row[] = [
  { label: 'RSS at start, 0 Agents', key: 'rssStartMiB', digits: 0, unit: 'MiB' },
  { label: 'RSS after an idle minute', key: 'rssQuietMiB', digits: 0, unit: 'MiB' },
  { label: 'RSS peak', key: 'rssPeakMiB', digits: 0, unit: 'MiB' },
  { label: 'CPU, create -> all Ready', key: 'cpuToReadySeconds', digits: 1, unit: 's' },
  { label: 'CPU per write (create -> quiet)', key: 'cpuPerWriteMs', digits: 1, unit: 'ms' },
  { label: 'CPU, first idle minute (burst GC)', key: 'cpuIdleFirstMinuteSeconds', digits: 2, unit: 's' },
  { label: '  GC pauses in it (wall time)', key: 'gcIdleFirstMinuteSeconds', digits: 2, unit: 's' },
  { label: 'CPU per idle minute (the second)', key: 'cpuIdleMinuteSeconds', digits: 2, unit: 's' },
  { label: '  GC pauses in it (wall time)', key: 'gcIdleMinuteSeconds', digits: 2, unit: 's' },
  { label: 'API requests per idle minute (the second)', key: 'idleRequestsPerMinute', digits: 0, unit: '' },
  { label: 'all Agents Ready', key: 'allReadySeconds', digits: 1, unit: 's' },
  { label: 'writes per new Agent (events incl.)', key: 'writesPerAgent', digits: 1, unit: '' },
  { label: '  of which events', key: 'eventsPerAgent', digits: 1, unit: '' },
  { label: 'detection p50', key: 'detectionP50Ms', digits: 0, unit: 'ms' },
  { label: 'detection p99', key: 'detectionP99Ms', digits: 0, unit: 'ms' },
  { label: 'writes in the two idle minutes', key: 'idleWrites', digits: 0, unit: '' },
  { label: 'reconciles in the two idle minutes', key: 'idleReconciles', digits: 0, unit: '' },
  { label: 'status write conflicts (409), detection', key: 'statusConflicts', digits: 0, unit: '' },
];

/** The mean of each figure over one operator's runs (NaN figures left out). */
export function meanOf(runs: readonly Figures[], operator: OperatorKind): Figures | undefined {
  const mine = runs.filter((r) => r.operator === operator);
  if (mine.length === 0) return undefined;
  const out = { operator } as Figures;
  for (const { key } of rows) {
    const values = mine.map((r) => r[key]).filter((v) => Number.isFinite(v));
    out[key] = values.length ? summarize(values).mean : Number.NaN;
  }
  return out;
}

/** this / baseline, or undefined where it means nothing (a zero or missing baseline). */
export function ratio(ours: number, theirs: number): number | undefined {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return undefined;
  return ours / theirs;
}

const f = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function formatSideBySide(runs: readonly Figures[], header: string[]): string {
  const ours = meanOf(runs, 'agent-operator');
  const theirs = meanOf(runs, 'baseline');
  const widths = [42, 16, 16, 8];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = ['', ...header, `runs: ${runs.map((r) => r.operator).join(', ')} (means shown)`, '',
    line(['figure', 'agent-operator', 'Go baseline', 'ratio'])];
  for (const row of rows) {
    const a = ours?.[row.key] ?? Number.NaN;
    const b = theirs?.[row.key] ?? Number.NaN;
    const r = ratio(a, b);
    const unit = row.unit ? ` ${row.unit}` : '';
    out.push(line([row.label, `${f(a, row.digits)}${unit}`, `${f(b, row.digits)}${unit}`, r === undefined ? '-' : `${r.toFixed(1)}x`]));
  }
  out.push('', 'The Go baseline (bench/baseline/main.go) does less: no events, no revision hashing, no remediation,',
    'no Secret/ConfigMap/ReplicaSet/PVC/PDB/EndpointSlice caches, no healthy-revision tracking; see its header.', '');
  return out.join('\n');
}

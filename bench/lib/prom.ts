// The Prometheus text format, as much of it as the benchmark reads: samples
// with labels. Pure (parsing and arithmetic); scraping is in operator.ts.
import type { Bucket } from './stats.ts';

export interface Sample { name: string; labels: Record<string, string>; value: number }

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const m = line.exec(l);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(label)) labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return out;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

const matches = (s: Sample, name: string, where: Record<string, string>): boolean =>
  s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v);

/** Sum of the samples of `name` whose labels include every label in `where`; 0 when none. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples.filter((s) => matches(s, name, where)).reduce((sum, s) => sum + s.value, 0);
}

/** The samples of `name`, summed per value of `by` (e.g. api requests per verb). */
export function sumBy(samples: readonly Sample[], name: string, by: string, where: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (!matches(s, name, where)) continue;
    const k = s.labels[by] ?? '';
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** The cumulative buckets of histogram `name` (its `_bucket` series), summed over other labels. */
export function bucketsOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (!matches(s, `${name}_bucket`, where)) continue;
    const le = parseValue(s.labels['le'] ?? '+Inf');
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** after - before per key (counters over an interval); keys of either side. */
export function deltaOf(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

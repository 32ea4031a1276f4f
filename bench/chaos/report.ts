// The run's figures as a table for the terminal and as CSV files for the plots
// and the README. Pure apart from writeCsv.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArmFigures, FaultOutcome } from './figures.ts';
import { bucketRates, rateWithout, type Bucket } from './attribution.ts';
import type { RunResult } from './run.ts';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const sec = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(0)} s`);

export function formatTable(r: RunResult): string {
  const lines: string[] = [];
  const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const w1 = [10, 10, 16, 7, 12, 7, 12, 12, 16];
  lines.push(row(['arm', 'abnormal', 'w/o node loss', 'faults', 'needs human', 'steps', 'pod deletes', 'writes/step', 'operator crashes'], w1));
  for (const a of r.arms) {
    const f = a.figures;
    lines.push(row([
      f.arm, pct(f.abnormalRate), pct(f.abnormalRateWithoutNodeLoss), String(f.outcomes.length), pct(f.needsHumanShare), String(a.steps),
      a.podDeletes === undefined ? '-' : String(a.podDeletes),
      a.writes === undefined || a.steps === 0 ? '-' : (a.writes / a.steps).toFixed(1),
      a.operator ? `${a.operator.crashes} (${a.operator.starts} starts)` : '-',
    ], w1));
  }
  lines.push('', `PVCs lost / counted when the fleet was up: ${r.arms.map((a) => `${a.figures.arm} ${a.lostClaims.length}/${a.claims}`).join(', ')}`);
  if (r.unplannedNodeLoss.length) lines.push(`NODES MARKED NotReady THAT THE BENCH DID NOT STOP (late heartbeats; the figures are suspect): ${r.unplannedNodeLoss.join(', ')}`);
  lines.push(`container restarts seen only as a higher restartCount (dead and running again between two status writes; a 1 s sample reads them as healthy): ${r.arms.map((a) => `${a.figures.arm} ${a.hiddenRestarts}`).join(', ')}`);
  lines.push('', 'MTTR per class, fault onset to the agent fully available again: p50 / p95 / max (recovered/faults, needing a person)');
  lines.push(...mttrRows(r.arms.map((a) => a.figures)));
  lines.push('', ...attributionRows(r.arms.map((a) => a.figures)));
  const real = r.arms.flatMap((a) => (a.realNode ? [{ arm: a.figures.arm, ...a.realNode }] : []));
  if (real.length) {
    lines.push('', `The real node's agents (real kernel, kubelet and back-off): abnormal / faults / needs human, OOM kills by the class of the release`);
    const w3 = [10, 10, 7, 12, 26];
    lines.push(row(['arm', 'abnormal', 'faults', 'needs human', 'OOM kills (oom, memory-growth)'], w3));
    for (const g of real) {
      lines.push(row([g.arm, pct(g.figures.abnormalRate), String(g.figures.outcomes.length), pct(g.figures.needsHumanShare),
        `${g.oomKills['oom'] ?? 0}, ${g.oomKills['memory-growth'] ?? 0}`], w3));
    }
    lines.push(...mttrRows(real.map((g) => g.figures)));
    lines.push('', ...attributionRows(real.map((g) => g.figures)));
    lines.push('abnormal seconds per fault (the MTTR counts from the onset to the last abnormal moment; an agent can serve in between)');
    lines.push(...mttrRows(real.map((g) => g.figures), (c) => `${c.abnormalSeconds.toFixed(1)} s`));
    const growth = r.realNodeFaults.filter((f) => f.class === 'memory-growth').length;
    const by = (arm: string) => real.find((g) => g.arm === arm)?.oomKills['memory-growth'];
    const before = by('defaults');
    const after = by('fast');
    if (growth > 0 && before !== undefined && after !== undefined) {
      lines.push('', `OOM kills prevented by the proactive memory raise (${growth} memory-growth faults, same schedule): ${before - after} (defaults, proactive off: ${before}; fast, proactive on: ${after}${by('plain') === undefined ? '' : `; plain: ${by('plain')}`})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function mttrRows(arms: readonly ArmFigures[], cell = (c: ArmFigures['classes'][number]) => `${sec(c.p50)} / ${sec(c.p95)} / ${sec(c.max)} (${c.recovered}/${c.faults}, ${c.needsHuman})`): string[] {
  const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const classes = [...new Set(arms.flatMap((a) => a.classes.map((c) => c.class)))];
  const w2 = [16, ...arms.map(() => 30)];
  return [row(['class', ...arms.map((a) => a.arm)], w2), ...classes.map((cls) => row([cls, ...arms.map((a) => {
    const c = a.classes.find((x) => x.class === cls);
    return c ? cell(c) : '-';
  })], w2))];
}

/**
 * The abnormal rate split by the fault class whose window each abnormal
 * second falls in (attribution.ts): each class's share of all agent-seconds
 * (the shares add up to the abnormal rate) and the rate without that class.
 */
export function attributionRows(arms: readonly ArmFigures[]): string[] {
  const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const w = [17, ...arms.map(() => 30)];
  const buckets = [...new Set(arms.flatMap((a) => bucketRates(a.attribution).map((b) => b.bucket)))];
  const cell = (a: ArmFigures, b: Bucket) => {
    const x = bucketRates(a.attribution).find((y) => y.bucket === b);
    return x ? `${pct(x.rate)} (w/o: ${pct(x.rateWithout)})` : '-';
  };
  return [
    'abnormal rate by fault class: the share of all agent-seconds abnormal in that class\'s fault windows (the shares add up to the rate), and the rate without it',
    row(['class', ...arms.map((a) => a.arm)], w),
    ...buckets.map((b) => row([b === 'outside' ? 'outside any fault' : b, ...arms.map((a) => cell(a, b))], w)),
    row(['all', ...arms.map((a) => pct(a.attribution.agentSeconds > 0 ? a.attribution.abnormal / a.attribution.agentSeconds : 0))], w),
    // the real node loses no node: there the row would only repeat "all"
    ...(arms.some((a) => a.attribution.seconds['node-loss'] !== undefined) ? [row(['all w/o node-loss', ...arms.map((a) => pct(rateWithout(a.attribution, 'node-loss')))], w)] : []),
  ];
}

/** abnormal-by-class.csv: a row per arm, place and bucket, "all" and "all-without-node-loss" included. */
const attributionCsv = (groups: readonly { place: string; f: ArmFigures }[]) => [['arm', 'place', 'class', 'abnormal_s', 'rate', 'rate_without'],
  ...groups.flatMap(({ place, f }) => {
    const a = f.attribution;
    const all = a.agentSeconds > 0 ? a.abnormal / a.agentSeconds : 0;
    return [
      ...bucketRates(a).map((b) => [f.arm, place, b.bucket, b.seconds.toFixed(1), b.rate, b.rateWithout]),
      [f.arm, place, 'all', a.abnormal.toFixed(1), all, undefined],
      [f.arm, place, 'all-without-node-loss', (a.abnormal - (a.seconds['node-loss'] ?? 0)).toFixed(1), rateWithout(a, 'node-loss'), undefined],
    ];
  })];

const csv = (rows: (string | number | undefined)[][]) => rows.map((r) => r.map((v) => (v === undefined ? '' : String(v))).join(',')).join('\n') + '\n';

const classesCsv = (arms: readonly ArmFigures[]) => [['arm', 'class', 'faults', 'recovered', 'p50_s', 'p95_s', 'max_s', 'needs_human', 'abnormal_s_per_fault'],
  ...arms.flatMap((f) => f.classes.map((c) => [f.arm, c.class, c.faults, c.recovered, c.p50, c.p95, c.max, c.needsHuman, c.abnormalSeconds.toFixed(1)]))];
const faultsCsv = (arms: readonly ArmFigures[]) => [['arm', 'id', 'class', 'agent', 'at_s', 'ends_at_s', 'mttr_s', 'needs_human', 'abnormal_s', 'abnormal_stretches_s'],
  ...arms.flatMap((f) => f.outcomes.map((o) => [f.arm, o.fault.id, o.fault.class, o.fault.agent, o.fault.at, o.fault.endsAt, o.mttr?.toFixed(1), o.needsHuman ? 1 : 0, o.abnormalSeconds.toFixed(1), stretchesText(o)]))];

/** The stretches an MTTR counts, in seconds after the onset ("0.4-8.4 24.4-25.4"; no end: still abnormal), to see where its seconds went. */
export const stretchesText = (o: FaultOutcome) => o.stretches.map((s) => `${(s.from - o.fault.at).toFixed(1)}-${s.to === undefined ? '' : (s.to - o.fault.at).toFixed(1)}`).join(' ');

export function writeCsv(dir: string, r: RunResult): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, (string | number | undefined)[][]> = {
    'summary.csv': [['arm', 'abnormal_rate', 'abnormal_rate_without_node_loss', 'faults', 'needs_human_share', 'steps', 'pod_deletes', 'operator_writes', 'operator_starts', 'operator_crashes', 'hidden_restarts', 'pvcs', 'pvcs_lost'],
      ...r.arms.map((a) => [a.figures.arm, a.figures.abnormalRate, a.figures.abnormalRateWithoutNodeLoss, a.figures.outcomes.length, a.figures.needsHumanShare, a.steps, a.podDeletes, a.writes, a.operator?.starts, a.operator?.crashes, a.hiddenRestarts, a.claims, a.lostClaims.length])],
    'classes.csv': classesCsv(r.arms.map((a) => a.figures)),
    'faults.csv': faultsCsv(r.arms.map((a) => a.figures)),
    'stretches.csv': [['arm', 'agent', 'from_s', 'to_s'], ...r.arms.flatMap((a) => [...a.stretches].sort(([x], [y]) => x - y)
      .flatMap(([agent, list]) => list.map((s) => [a.figures.arm, agent, s.from.toFixed(2), s.to?.toFixed(2)])))],
    'abnormal-by-class.csv': attributionCsv(r.arms.flatMap((a) => [{ place: 'kwok', f: a.figures }, ...(a.realNode ? [{ place: 'real-node', f: a.realNode.figures }] : [])])),
    'timeline.csv': [['arm', 't_s', 'abnormal'], ...r.arms.flatMap((a) => a.samples.map((s) => [a.figures.arm, s.t.toFixed(1), s.abnormal.size]))],
    'oom-kills.csv': [['arm', 'place', 'class', 'oom_kills'], ...r.arms.flatMap((a) => [['kwok', a.oomKills] as const, ['real-node', a.realNode?.oomKills] as const]
      .flatMap(([place, kills]) => Object.entries(kills ?? {}).map(([cls, n]) => [a.figures.arm, place, cls, n])))],
  };
  const real = r.arms.flatMap((a) => (a.realNode ? [a.realNode.figures] : []));
  if (real.length) {
    files['real-node-summary.csv'] = [['arm', 'abnormal_rate', 'faults', 'needs_human_share', 'oom_kills_oom', 'oom_kills_memory_growth'],
      ...r.arms.flatMap((a) => (a.realNode ? [[a.figures.arm, a.realNode.figures.abnormalRate, a.realNode.figures.outcomes.length, a.realNode.figures.needsHumanShare, a.realNode.oomKills['oom'] ?? 0, a.realNode.oomKills['memory-growth'] ?? 0]] : []))];
    files['real-node-classes.csv'] = classesCsv(real);
    files['real-node-faults.csv'] = faultsCsv(real);
  }
  for (const [name, rows] of Object.entries(files)) writeFileSync(join(dir, name), csv(rows));
  return Object.keys(files).map((f) => join(dir, f));
}

/** Invariants that hold whatever the timings: what the short run in make test asserts. */
export function invariantViolations(r: RunResult): string[] {
  const out: string[] = [...r.faultErrors.map((e) => `fault injection failed: ${e}`)];
  for (const a of r.arms) {
    const name = a.figures.arm;
    if (a.operator && a.operator.crashes > 0) out.push(`${name}: the operator crashed ${a.operator.crashes} time(s)`);
    for (const s of a.repeatedSteps) out.push(`${name}: remediation step taken twice: ${s}`);
    for (const p of a.podsDeletedTwice) out.push(`${name}: pod ${p} deleted twice`);
    if (a.claims !== r.storageAgents) out.push(`${name}: ${a.claims} PVCs once the fleet was up, expected ${r.storageAgents} (--storage-every)`);
    for (const l of a.lostClaims) out.push(`${name}: PVC lost: ${l}`);
  }
  return out;
}

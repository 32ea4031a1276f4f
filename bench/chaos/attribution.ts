// Which fault class each abnormal agent-second belongs to: the abnormal rate
// split by cause, so the README's "without the node losses" (and without any
// other class) is computed, not estimated. Pure (table tests in
// test/unit/bench/chaos-attribution.test.ts).
//
// The rules, in order, for each abnormal stretch of an agent (clipped to the
// run, [0, runEnd)):
// 1. node-loss: a stretch of an agent whose node the run stopped that was open
//    when the node stopped or began while it was down goes to node-loss whole
//    (withoutNodeLoss's rule). The pod was on that node: the seconds after the
//    node came back are its replacement's start, still the loss's cost, and
//    the agent's own fault in that time cannot be told apart from it.
// 2. the agent's own faults: a fault's window opens at its onset. A stretch is
//    cut at each onset of the agent's faults inside it; each piece belongs to
//    the latest fault whose onset is at or before the piece's start. A stretch
//    that began before any onset of the agent, or after its latest fault had
//    settled (the cause ended or the person reverted, plus settleSeconds, the
//    time the schedule leaves an agent alone after a fault), belongs to no
//    fault: "outside", where warm-up blips and a node's late heartbeats show.
//    A stretch begun inside a window keeps belonging to that fault to its end,
//    however long (a fault never recovered).
import { faultClasses, type Fault, type FaultClass } from './schedule.ts';

/** An abnormal stretch of one agent, [from, to) in seconds, `to` undefined while still abnormal (figures.ts Stretch; its own here so the two files do not import each other). */
interface Stretch { from: number; to: number | undefined }

/** A node the run stopped: the agents whose pods prefer it, from its stop to its return. */
export interface NodeDown { agents: ReadonlySet<number>; from: number; to: number }

/**
 * The stretches without those a lost node caused: every stretch of one of its
 * agents that was open when the node stopped or began while it was down
 * (the agent's other faults in that time go with them).
 */
export function withoutNodeLoss<S extends Stretch>(stretches: ReadonlyMap<number, readonly S[]>, downs: readonly NodeDown[]): Map<number, S[]> {
  const caused = (a: number, s: S) => downs.some((d) => d.agents.has(a) && s.from < d.to && (s.to ?? Infinity) > d.from);
  return new Map([...stretches].map(([a, list]) => [a, list.filter((s) => !caused(a, s))]));
}

export type Bucket = FaultClass | 'outside';
export const outside = 'outside' as const;

export interface Attribution {
  /** abnormal agent-seconds per bucket (classes with none are absent) */
  seconds: Partial<Record<Bucket, number>>;
  /** abnormal agent-seconds in all */
  abnormal: number;
  /** agents × runEnd: what the rates divide by */
  agentSeconds: number;
}

export interface AttributionInput {
  agents: number;
  faults: readonly Fault[];
  stretches: ReadonlyMap<number, readonly Stretch[]>;
  runEnd: number;
  downs?: readonly NodeDown[];
  /** the schedule's settle time: how long after a fault's end its window stays open for stretches that begin then */
  settleSeconds: number;
}

export function attribute(i: AttributionInput): Attribution {
  const seconds: Partial<Record<Bucket, number>> = {};
  const add = (b: Bucket, s: number) => { if (s > 0) seconds[b] = (seconds[b] ?? 0) + s; };
  const clip = (s: Stretch): [number, number] => [Math.max(0, s.from), Math.min(s.to ?? i.runEnd, i.runEnd)];
  const kept = withoutNodeLoss(i.stretches, i.downs ?? []);
  const byAgent = new Map<number, Fault[]>();
  for (const f of i.faults) byAgent.set(f.agent, [...(byAgent.get(f.agent) ?? []), f]);
  for (const list of byAgent.values()) list.sort((a, b) => a.at - b.at);
  for (const [agent, list] of i.stretches) {
    const mine = kept.get(agent) ?? [];
    for (const s of list) {
      const [from, to] = clip(s);
      if (to <= from) continue;
      if (!mine.includes(s)) { add('node-loss', to - from); continue; }
      const faults = byAgent.get(agent) ?? [];
      // the fault whose window the stretch's start is in: the latest onset at or before it, if not settled by then
      const before = faults.filter((f) => f.at <= from).at(-1);
      let owner: Bucket = before && from < before.endsAt + i.settleSeconds ? before.class : outside;
      let at = from;
      for (const f of faults) {
        if (f.at <= from || f.at >= to) continue;
        add(owner, f.at - at);
        owner = f.class;
        at = f.at;
      }
      add(owner, to - at);
    }
  }
  const abnormal = Object.values(seconds).reduce((n, s) => n + s, 0);
  return { seconds, abnormal, agentSeconds: i.agents * Math.max(0, i.runEnd) };
}

export interface BucketRate {
  bucket: Bucket;
  seconds: number;
  /** its share of all agent-seconds: the buckets' rates add up to the abnormal rate */
  rate: number;
  /** the abnormal rate with this bucket's seconds left out */
  rateWithout: number;
}

/** One row per bucket with seconds, in faultClasses order, "outside" last. */
export function bucketRates(a: Attribution): BucketRate[] {
  const rate = (s: number) => (a.agentSeconds > 0 ? s / a.agentSeconds : 0);
  return ([...faultClasses, outside] as Bucket[]).flatMap((bucket) => {
    const s = a.seconds[bucket];
    return s === undefined ? [] : [{ bucket, seconds: s, rate: rate(s), rateWithout: rate(a.abnormal - s) }];
  });
}

/** The abnormal rate with the named buckets' seconds left out. */
export function rateWithout(a: Attribution, ...left: Bucket[]): number {
  const s = left.reduce((n, b) => n + (a.seconds[b] ?? 0), 0);
  return a.agentSeconds > 0 ? (a.abnormal - s) / a.agentSeconds : 0;
}

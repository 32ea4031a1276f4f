// From what the health watch saw (health.ts) to the figures: abnormal rate, MTTR per
// fault class, the share of faults that needed a person. Pure (a table test
// pins each rule in test/unit/chaos-figures.test.ts).
//
// An agent is abnormal while it is not fully available (health.ts says how
// that is judged from its pods). A fault's recovery is the end of the last
// abnormal stretch that began while its cause was still there (before the
// person's revert, or before a passing cause passed); stretches that begin
// later are the revert's own rollout, not this fault. An agent still abnormal
// when its window closes never recovered. A release fault needed a person
// unless its recovery held for stableSeconds before the person's revert: a
// crash-looping container is Ready for the seconds it runs between crashes
// (on a kubelet as on kwok), so a revert that lands in such a moment must not
// count as the agent having healed itself; its MTTR is then the revert's. A
// fault never recovered needed a person too.
import { quantile } from '../lib/stats.ts';
import { faultClasses, releaseClasses, type Fault, type FaultClass } from './schedule.ts';
import { attribute, rateWithout, type Attribution, type NodeDown } from './attribution.ts';

/** Abnormal stretches of one agent, [from, to) in seconds; `to` undefined: still abnormal. */
export interface Stretch { from: number; to: number | undefined }

export interface FaultOutcome {
  fault: Fault;
  /** seconds from onset to recovery; 0: never abnormal; undefined: never recovered */
  mttr: number | undefined;
  /**
   * Seconds the agent was abnormal in that time (the stretches the MTTR
   * counts): less than the MTTR when the agent served in between, as one
   * whose memory raise (after a kill, or before it) rolled a pod out a minute
   * after the onset.
   */
  abnormalSeconds: number;
  impacted: boolean;
  needsHuman: boolean;
  /** The abnormal stretches the MTTR counts, for reading where its seconds went (faults.csv). */
  stretches: Stretch[];
}

export interface ClassFigures {
  class: FaultClass;
  faults: number;
  recovered: number;
  p50: number | undefined;
  p95: number | undefined;
  max: number | undefined;
  needsHuman: number;
  /** abnormal seconds per fault, mean */
  abnormalSeconds: number;
}

export interface ArmFigures {
  arm: string;
  abnormalRate: number;
  /** the same without the stretches lost nodes caused (withoutNodeLoss): what the other classes cost */
  abnormalRateWithoutNodeLoss: number;
  /** the abnormal agent-seconds by the fault class whose window they fall in (attribution.ts) */
  attribution: Attribution;
  outcomes: FaultOutcome[];
  classes: ClassFigures[];
  needsHumanShare: number;
}

/** Longer than the kubelet's first crash back-off (10 s): a recovery that held this long was not a pause between crashes. */
export const stableSeconds = 15;

export function outcomes(faults: readonly Fault[], stretches: ReadonlyMap<number, readonly Stretch[]>, runEnd: number): FaultOutcome[] {
  return faults.map((fault) => {
    const next = faults.filter((f) => f.agent === fault.agent && f.at > fault.at).reduce((m, f) => Math.min(m, f.at), runEnd);
    const inWindow = (stretches.get(fault.agent) ?? []).filter((s) => (s.to ?? Infinity) > fault.at && s.from < next);
    const down = (list: readonly Stretch[]) => list.reduce((n, s) => n + Math.min(s.to ?? next, next) - Math.max(s.from, fault.at), 0);
    const last = inWindow.at(-1);
    if (last && (last.to === undefined || last.to >= next)) return { fault, mttr: undefined, abnormalSeconds: down(inWindow), impacted: true, needsHuman: true, stretches: inWindow };
    const caused = inWindow.filter((s) => s.from < fault.endsAt);
    if (caused.length === 0) return { fault, mttr: 0, abnormalSeconds: 0, impacted: false, needsHuman: false, stretches: [] };
    const recovered = caused.at(-1)!.to!;
    if (releaseClasses.has(fault.class) && recovered + stableSeconds > fault.endsAt) {
      return { fault, mttr: Math.max(recovered, fault.endsAt) - fault.at, abnormalSeconds: down(caused), impacted: true, needsHuman: true, stretches: caused };
    }
    return { fault, mttr: recovered - fault.at, abnormalSeconds: down(caused), impacted: true, needsHuman: false, stretches: caused };
  });
}

/** Share of agent-seconds in [0, runEnd) spent abnormal. */
export function abnormalRate(agents: number, stretches: ReadonlyMap<number, readonly Stretch[]>, runEnd: number): number {
  let abnormal = 0;
  for (const list of stretches.values()) {
    for (const s of list) abnormal += Math.max(0, Math.min(s.to ?? runEnd, runEnd) - Math.max(0, s.from));
  }
  return agents > 0 && runEnd > 0 ? abnormal / (agents * runEnd) : 0;
}

export { withoutNodeLoss, type NodeDown } from './attribution.ts';

/** settleSeconds: the schedule's (attribution.ts: how long a fault's window stays open after its end). */
export function figures(arm: string, agents: number, faults: readonly Fault[], stretches: ReadonlyMap<number, readonly Stretch[]>, runEnd: number, downs: readonly NodeDown[] = [], settleSeconds = 0): ArmFigures {
  const out = outcomes(faults, stretches, runEnd);
  const classes = faultClasses.flatMap((cls): ClassFigures[] => {
    const mine = out.filter((o) => o.fault.class === cls);
    if (mine.length === 0) return [];
    const times = mine.flatMap((o) => (o.mttr === undefined ? [] : [o.mttr]));
    return [{
      class: cls, faults: mine.length, recovered: times.length,
      p50: times.length ? quantile(times, 0.5) : undefined,
      p95: times.length ? quantile(times, 0.95) : undefined,
      max: times.length ? Math.max(...times) : undefined,
      needsHuman: mine.filter((o) => o.needsHuman).length,
      abnormalSeconds: mine.reduce((n, o) => n + o.abnormalSeconds, 0) / mine.length,
    }];
  });
  const attribution = attribute({ agents, faults, stretches, runEnd, downs, settleSeconds });
  return {
    arm, abnormalRate: abnormalRate(agents, stretches, runEnd), outcomes: out, classes,
    abnormalRateWithoutNodeLoss: rateWithout(attribution, 'node-loss'), attribution,
    needsHumanShare: out.length ? out.filter((o) => o.needsHuman).length / out.length : 0,
  };
}

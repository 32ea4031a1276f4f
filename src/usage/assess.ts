import { parseQuantity } from '../lib/quantity.ts';

// Readings of an Agent's containers over time -> two warnings: the memory
// working set stays near the limit (the OOM kill is coming), and the CPU
// limit throttles the process. Pure: samples and the previous verdict in,
// verdict out.
//
// No flapping: each warning has a raise and a lower threshold with a band
// between them where the previous verdict holds (hysteresis), and each needs
// several consecutive readings, so one spike or one quiet moment changes
// nothing. The previous verdict is the Agent's own condition in status, so
// an operator restart keeps it.

export interface UsageSample {
  /** Milliseconds since the epoch, when the reading was taken. */
  at: number;
  workingSetBytes?: number;
  cfsPeriods?: number;
  cfsThrottledPeriods?: number;
}

/** One container of one of the Agent's pods, its limits from the pod spec, its readings oldest first. */
export interface ContainerUsage {
  pod: string;
  container: string;
  memoryLimit?: string;
  cpuLimit?: string;
  samples: readonly UsageSample[];
}

export const usageThresholds = {
  /** Warn when the working set is at least this share of the limit ... */
  memoryWarnRatio: 0.9,
  /** ... and stop warning only once it is below this share. */
  memoryClearRatio: 0.8,
  /** Consecutive readings (cAdvisor collections, 10-15 s apart) that must all agree. */
  memoryReadings: 2,
  /** Warn when at least this share of CFS periods was throttled ... */
  cpuWarnShare: 0.25,
  /** ... and stop warning only below this share. */
  cpuClearShare: 0.1,
  /** Readings (cAdvisor collections) the throttled share is measured over, their first to their last. */
  cpuReadings: 3,
  /** Fewer runnable periods than this in the window: too idle to be throttled in any way that matters. */
  cpuMinPeriods: 20,
} as const;

export interface MemoryFinding {
  pod: string;
  container: string;
  workingSetBytes: number;
  limit: string;
  limitBytes: number;
  /** Whole percent of the limit, of the latest reading. */
  percent: number;
  readings: number;
}

export interface CpuFinding {
  pod: string;
  container: string;
  /** Throttled periods / periods over the window, 0..1. */
  share: number;
  throttledPeriods: number;
  periods: number;
  seconds: number;
  cpuLimit?: string;
}

export type Verdict<F> =
  | { state: 'warn'; finding: F }
  | { state: 'clear' }
  /** Not enough readings (just started, metrics off): the previous verdict stands. */
  | { state: 'unknown' };

type One<F> = { state: 'warn' | 'clear' | 'between'; finding: F } | undefined;

export function assessMemory(containers: readonly ContainerUsage[], wasWarning: boolean): Verdict<MemoryFinding> {
  return combine(containers.map(memoryOf), wasWarning, (a, b) => a.percent - b.percent);
}

export function assessCpu(containers: readonly ContainerUsage[], wasWarning: boolean): Verdict<CpuFinding> {
  return combine(containers.map(cpuOf), wasWarning, (a, b) => a.share - b.share);
}

/**
 * The Agent warns when any container warns (the worst one named); inside
 * the band it keeps what it said; it clears only when every container with
 * readings is below the lower threshold.
 */
function combine<F>(ones: readonly One<F>[], wasWarning: boolean, worse: (a: F, b: F) => number): Verdict<F> {
  const known = ones.filter((o): o is NonNullable<One<F>> => o !== undefined);
  const pick = (state: 'warn' | 'between') => known.filter((o) => o.state === state).map((o) => o.finding).sort((a, b) => worse(b, a))[0];
  const warning = pick('warn');
  if (warning !== undefined) return { state: 'warn', finding: warning };
  const between = pick('between');
  if (between !== undefined) return wasWarning ? { state: 'warn', finding: between } : { state: 'clear' };
  return known.length ? { state: 'clear' } : { state: 'unknown' };
}

function memoryOf(c: ContainerUsage): One<MemoryFinding> {
  const limitBytes = c.memoryLimit === undefined ? 0 : parseQuantity(c.memoryLimit);
  if (!(limitBytes > 0)) return undefined;
  const n = usageThresholds.memoryReadings;
  const recent = c.samples.filter((s) => s.workingSetBytes !== undefined).slice(-n);
  if (recent.length < n) return undefined;
  const ratios = recent.map((s) => s.workingSetBytes! / limitBytes);
  const last = recent.at(-1)!.workingSetBytes!;
  const finding: MemoryFinding = {
    pod: c.pod, container: c.container, workingSetBytes: last, limit: c.memoryLimit!, limitBytes,
    percent: Math.round((last / limitBytes) * 100), readings: n,
  };
  if (ratios.every((r) => r >= usageThresholds.memoryWarnRatio)) return { state: 'warn', finding };
  if (ratios.every((r) => r < usageThresholds.memoryClearRatio)) return { state: 'clear', finding };
  return { state: 'between', finding };
}

function cpuOf(c: ContainerUsage): One<CpuFinding> {
  let points = c.samples.filter((s) => s.cfsPeriods !== undefined && s.cfsThrottledPeriods !== undefined);
  // A counter that went down is a new container instance: only what follows counts.
  const reset = points.findLastIndex((s, i) => i > 0 && (s.cfsPeriods! < points[i - 1]!.cfsPeriods! || s.cfsThrottledPeriods! < points[i - 1]!.cfsThrottledPeriods!));
  if (reset > 0) points = points.slice(reset);
  points = points.slice(-usageThresholds.cpuReadings);
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points.at(-1)!;
  const periods = last.cfsPeriods! - first.cfsPeriods!;
  const throttled = last.cfsThrottledPeriods! - first.cfsThrottledPeriods!;
  const share = periods > 0 ? throttled / periods : 0;
  const finding: CpuFinding = {
    pod: c.pod, container: c.container, share, throttledPeriods: throttled, periods,
    seconds: Math.round((last.at - first.at) / 1000),
  };
  if (c.cpuLimit !== undefined) finding.cpuLimit = c.cpuLimit;
  if (periods < usageThresholds.cpuMinPeriods || share < usageThresholds.cpuClearShare) return { state: 'clear', finding };
  if (share >= usageThresholds.cpuWarnShare) return { state: 'warn', finding };
  return { state: 'between', finding };
}

import { formatMemory } from '../lib/quantity.ts';
import type { Condition } from '../api/status.ts';
import type { ResolvedRecovery } from '../desired/defaults.ts';
import { assessCpu, assessMemory, usageThresholds as th, type ContainerUsage, type CpuFinding, type MemoryFinding, type Verdict } from '../usage/assess.ts';
import type { ConditionInput } from './conditions.ts';

// The usage verdicts as conditions: MemoryNearLimit and CPUThrottled, True
// while warning. Warnings only: Ready does not depend on them.
//
// The figures are the ones of the moment the warning began and stay until it
// ends: a condition whose message followed every reading would be rewritten
// on every reconcile, and a converged Agent writes nothing.

export interface UsageVerdicts {
  memory: Verdict<MemoryFinding>;
  cpu: Verdict<CpuFinding>;
  /** recovery.oomKilled.proactive with IncreaseMemory: the memory fix is the operator's own. */
  proactive: boolean;
}

export const memoryCondition = 'MemoryNearLimit';
export const cpuCondition = 'CPUThrottled';

/** The memory and CPU verdicts, each against what the Agent's status says now (the hysteresis state). */
export function usageVerdicts(usage: readonly ContainerUsage[], previous: readonly Condition[] | undefined, recovery: Pick<ResolvedRecovery, 'oomKilled'>): UsageVerdicts {
  const warning = (type: string) => previous?.some((c) => c.type === type && c.status === 'True') ?? false;
  return {
    memory: assessMemory(usage, warning(memoryCondition)),
    cpu: assessCpu(usage, warning(cpuCondition)),
    proactive: recovery.oomKilled.action === 'IncreaseMemory' && recovery.oomKilled.proactive,
  };
}

/**
 * Whether a reconcile would change the usage conditions: what the scraper
 * asks after each round, so an Agent is woken on a change of verdict and
 * not on every reading.
 */
export function usageConditionsDiffer(v: UsageVerdicts, previous: readonly Condition[] | undefined, generation: number): boolean {
  return usageConditions(v, previous, generation).some((c) => {
    const before = previous?.find((p) => p.type === c.type);
    return before?.status !== c.status || before.reason !== c.reason;
  });
}

/**
 * The conditions to set, given the previous ones. Unknown (no readings yet,
 * metrics off) sets nothing: what was said stands, so an operator restart or
 * a missed scrape does not flip a warning.
 */
export function usageConditions(v: UsageVerdicts | undefined, previous: readonly Condition[] | undefined, generation: number): ConditionInput[] {
  if (!v) return [];
  const prior = (type: string) => previous?.find((c) => c.type === type);
  const out: ConditionInput[] = [];
  const set = (type: typeof memoryCondition | typeof cpuCondition, warn: boolean, reason: ConditionInput['reason'], message: () => string) => {
    const before = prior(type);
    const status = warn ? 'True' : 'False';
    // Same status: same words, so nothing is written until the verdict changes.
    const keep = before?.status === status && before.reason === reason;
    out.push({ type, status, reason, message: keep ? before.message : message(), observedGeneration: generation });
  };
  if (v.memory.state === 'warn') {
    const f = v.memory.finding;
    set(memoryCondition, true, 'MemoryNearLimit', () => memoryNearLimitText(f, v.proactive));
  } else if (v.memory.state === 'clear') {
    set(memoryCondition, false, 'MemoryWithinLimit', () => `every container's memory working set is below ${pct(th.memoryWarnRatio)} of its limit (the kubelet's cAdvisor readings)`);
  }
  if (v.cpu.state === 'warn') {
    const f = v.cpu.finding;
    set(cpuCondition, true, 'CPUThrottled', () => cpuThrottledText(f));
  } else if (v.cpu.state === 'clear') {
    set(cpuCondition, false, 'CPUNotThrottled', () => `no container is throttled in ${pct(th.cpuClearShare)} or more of its CFS periods (the kubelet's cAdvisor readings)`);
  }
  return out;
}

export function memoryNearLimitText(f: MemoryFinding, proactive: boolean): string {
  const fix = proactive
    ? 'the operator raises the limit before the kill (recovery.oomKilled.proactive, up to maxMemory); to keep it, raise resources.limits.memory'
    : 'raise resources.limits.memory, or set recovery.oomKilled.proactive: true so the operator raises it before the kill';
  return `container ${f.container} of pod ${f.pod} uses ${formatMemory(f.workingSetBytes)} of its ${f.limit} memory limit (${f.percent}%), at ${pct(th.memoryWarnRatio)} or more for ${f.readings} readings in a row (container_memory_working_set_bytes): the kernel OOM-kills it at the limit: ${fix}`;
}

export function cpuThrottledText(f: CpuFinding): string {
  const limit = f.cpuLimit === undefined ? 'its CPU limit' : `its CPU limit of ${f.cpuLimit}`;
  return `container ${f.container} of pod ${f.pod} was throttled in ${Math.round(f.share * 100)}% of its CFS periods over ${f.seconds}s (${f.throttledPeriods} of ${f.periods}: container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total) under ${limit}, so it runs slower than it asks to: raise resources.limits.cpu or remove it (the operator sets no CPU limit by default; resources.requests.cpu still reserves its share)`;
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

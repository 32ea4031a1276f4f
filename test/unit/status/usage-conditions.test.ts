import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition } from '../../../src/api/status.ts';
import { usageConditions, usageConditionsDiffer, type UsageVerdicts } from '../../../src/status/usage-conditions.ts';
import { transitionEvents } from '../../../src/status/transitions.ts';

const Mi = 2 ** 20;
const memoryWarn: UsageVerdicts['memory'] = { state: 'warn', finding: { pod: 'p-1', container: 'agent', workingSetBytes: 118 * Mi, limit: '128Mi', limitBytes: 128 * Mi, percent: 92, readings: 3 } };
const cpuWarn: UsageVerdicts['cpu'] = { state: 'warn', finding: { pod: 'p-1', container: 'agent', share: 0.97, throttledPeriods: 146, periods: 150, seconds: 15, cpuLimit: '100m' } };
const asConditions = (inputs: ReturnType<typeof usageConditions>): Condition[] => inputs.map((c) => ({ ...c, lastTransitionTime: '2026-11-30T10:00:00Z' }));

describe('usage conditions', () => {
  it('warn with the figures, the counters and the fix', () => {
    const [memory, cpu] = usageConditions({ memory: memoryWarn, cpu: cpuWarn, proactive: false }, undefined, 3);
    assert.deepEqual({ ...memory, message: undefined }, { type: 'MemoryNearLimit', status: 'True', reason: 'MemoryNearLimit', message: undefined, observedGeneration: 3 });
    assert.match(memory!.message, /^container agent of pod p-1 uses 118Mi of its 128Mi memory limit \(92%\).*: raise resources\.limits\.memory, or set recovery\.oomKilled\.proactive: true/);
    assert.equal(cpu!.status, 'True');
    assert.match(cpu!.message, /throttled in 97% of its CFS periods over 15s \(146 of 150: container_cpu_cfs_throttled_periods_total \/ container_cpu_cfs_periods_total\) under its CPU limit of 100m.*: raise resources\.limits\.cpu or remove it/);
  });

  it('keep the words of the moment a warning began, so later readings write nothing', () => {
    const first = asConditions(usageConditions({ memory: memoryWarn, cpu: cpuWarn, proactive: false }, undefined, 3));
    const later: UsageVerdicts = { memory: { state: 'warn', finding: { ...memoryWarn.finding, percent: 95 } }, cpu: cpuWarn, proactive: false };
    assert.deepEqual(usageConditions(later, first, 3).map((c) => c.message), first.map((c) => c.message));
    assert.equal(usageConditionsDiffer(later, first, 3), false);
  });

  it('set nothing while the verdict is unknown: what was said stands', () => {
    assert.deepEqual(usageConditions({ memory: { state: 'unknown' }, cpu: { state: 'unknown' }, proactive: false }, undefined, 1), []);
  });

  it('announce a warning with one Warning event and its end with a Normal one', () => {
    const quiet = asConditions(usageConditions({ memory: { state: 'clear' }, cpu: { state: 'clear' }, proactive: false }, undefined, 1));
    const warned = asConditions(usageConditions({ memory: memoryWarn, cpu: cpuWarn, proactive: false }, quiet, 1));
    assert.deepEqual(transitionEvents({ conditions: quiet }, { conditions: warned }).map((e) => `${e.type}/${e.reason}`), ['Warning/MemoryNearLimit', 'Warning/CPUThrottled']);
    assert.deepEqual(transitionEvents({ conditions: warned }, { conditions: quiet }).map((e) => `${e.type}/${e.reason}`), ['Normal/MemoryWithinLimit', 'Normal/CPUNotThrottled']);
    assert.deepEqual(transitionEvents(undefined, { conditions: quiet }), [], 'a quiet start is no news');
  });
});

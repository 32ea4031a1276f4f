import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessCpu, assessMemory, type ContainerUsage, type UsageSample } from '../../../src/usage/assess.ts';

const Mi = 2 ** 20;
/** Readings 5 s apart, working sets in MiB. */
const mem = (...mib: number[]): UsageSample[] => mib.map((m, i) => ({ at: i * 5000, workingSetBytes: m * Mi }));
const container = (samples: UsageSample[], over: Partial<ContainerUsage> = {}): ContainerUsage => ({ pod: 'p-1', container: 'agent', memoryLimit: '100Mi', samples, ...over });

describe('assessMemory: near the limit for two readings in a row, with hysteresis', () => {
  const cases: { name: string; samples: UsageSample[]; was: boolean; want: 'warn' | 'clear' | 'unknown' }[] = [
    { name: 'two readings at 90% or more warn', samples: mem(50, 93, 95), was: false, want: 'warn' },
    { name: 'a reading below 90% among the last two does not warn yet', samples: mem(91, 89, 95), was: false, want: 'clear' },
    { name: 'a single spike does not warn', samples: mem(40, 40, 96), was: false, want: 'clear' },
    { name: 'the band 80-90% keeps a warning', samples: mem(95, 84, 86), was: true, want: 'warn' },
    { name: 'the band 80-90% raises none', samples: mem(85, 84, 86), was: false, want: 'clear' },
    { name: 'two readings below 80% clear a warning', samples: mem(95, 72, 75), was: true, want: 'clear' },
    { name: 'one reading leaves the verdict as it was', samples: mem(99), was: false, want: 'unknown' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(assessMemory([container(c.samples)], c.was).state, c.want));

  it('names the worst container with its figures', () => {
    const v = assessMemory([container(mem(91, 92, 93), { pod: 'p-1' }), container(mem(95, 96, 97), { pod: 'p-2' })], false);
    assert.deepEqual(v, { state: 'warn', finding: { pod: 'p-2', container: 'agent', workingSetBytes: 97 * Mi, limit: '100Mi', limitBytes: 100 * Mi, percent: 97, readings: 2 } });
  });

  it('a container without a memory limit cannot be near it', () => {
    assert.equal(assessMemory([container(mem(500, 500, 500), { memoryLimit: undefined } as never)], false).state, 'unknown');
  });
});

/** Readings 5 s apart, cumulative counters. */
const cfs = (...pairs: [number, number][]): UsageSample[] => pairs.map(([periods, throttled], i) => ({ at: i * 5000, cfsPeriods: periods, cfsThrottledPeriods: throttled }));

describe('assessCpu: the share of throttled CFS periods over the last three readings, with hysteresis', () => {
  const cases: { name: string; samples: UsageSample[]; was: boolean; want: 'warn' | 'clear' | 'unknown'; share?: number }[] = [
    { name: 'a busy container under a low limit is throttled in most periods', samples: cfs([0, 0], [50, 48], [100, 97], [150, 146]), was: false, want: 'warn', share: 98 / 100 },
    { name: 'only the last three readings count', samples: cfs([0, 0], [50, 50], [100, 50], [150, 50], [200, 50]), was: true, want: 'clear' },
    { name: '10-25% keeps a warning', samples: cfs([0, 0], [100, 15], [200, 30]), was: true, want: 'warn', share: 0.15 },
    { name: '10-25% raises none', samples: cfs([0, 0], [100, 15], [200, 30]), was: false, want: 'clear' },
    { name: 'an idle container (few runnable periods) is not throttled', samples: cfs([0, 0], [5, 5], [10, 10]), was: true, want: 'clear' },
    // The reset is inside the last three readings: across it the counters would give a negative rate.
    { name: 'a counter that went down (a restarted container) starts over', samples: cfs([1000, 100], [1050, 110], [10, 9], [110, 107]), was: false, want: 'warn', share: 98 / 100 },
    { name: 'one reading is no rate', samples: cfs([100, 90]), was: false, want: 'unknown' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = assessCpu([container(c.samples, { cpuLimit: '100m' })], c.was);
      assert.equal(v.state, c.want);
      // only a warning carries its finding: a row with a share is a warning
      if (c.share !== undefined) assert.ok(v.state === 'warn' && Math.abs(v.finding.share - c.share) < 1e-9, JSON.stringify(v));
    });
  }

  it('reports the counters it measured, so the figure can be checked against cAdvisor', () => {
    const v = assessCpu([container(cfs([1000, 900], [1050, 948], [1100, 997], [1150, 1046]), { cpuLimit: '100m' })], false);
    assert.deepEqual(v, { state: 'warn', finding: { pod: 'p-1', container: 'agent', share: 98 / 100, throttledPeriods: 98, periods: 100, seconds: 10, cpuLimit: '100m' } });
  });
});

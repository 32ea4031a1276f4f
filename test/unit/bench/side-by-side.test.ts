import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatSideBySide, meanOf, ratio, rows, type Figures, type OperatorKind } from '../../../bench/lib/side-by-side.ts';

function figures(operator: OperatorKind, v: number): Figures {
  const f = { operator } as Figures;
  for (const { key } of rows) f[key] = v;
  return f;
}

describe('the side-by-side table of make bench', () => {
  it('averages each figure over one operator\'s runs only', () => {
    const runs = [figures('agent-operator', 10), figures('baseline', 1), figures('agent-operator', 20)];
    assert.equal(meanOf(runs, 'agent-operator')?.rssStartMiB, 15);
    assert.equal(meanOf(runs, 'baseline')?.detectionP99Ms, 1);
  });

  it('leaves a figure a run could not measure (NaN) out of the mean', () => {
    const missing = { ...figures('agent-operator', 0), detectionP99Ms: Number.NaN };
    assert.equal(meanOf([missing, figures('agent-operator', 30)], 'agent-operator')?.detectionP99Ms, 30);
  });

  it('has no mean for an operator that did not run', () => {
    assert.equal(meanOf([figures('baseline', 1)], 'agent-operator'), undefined);
  });

  for (const [ours, theirs, want] of [[6, 2, 3], [0, 0, undefined], [1, 0, undefined], [Number.NaN, 1, undefined], [0, 4, 0]] as const) {
    it(`gives the ratio ${ours} / ${theirs} as ${want}`, () => assert.equal(ratio(ours, theirs), want));
  }

  it('prints the CPU of the first idle minute (the burst\'s GC) apart from the settled idle minute after it', () => {
    const runs = [{ ...figures('agent-operator', 0), cpuIdleFirstMinuteSeconds: 0.4, cpuIdleMinuteSeconds: 0.08 }, { ...figures('baseline', 0), cpuIdleFirstMinuteSeconds: 0.05, cpuIdleMinuteSeconds: 0.04 }];
    const text = formatSideBySide(runs, []);
    assert.match(text, /CPU, first idle minute \(burst GC\)\s+0\.40 s\s+0\.05 s\s+8\.0x/);
    assert.match(text, /CPU per idle minute \(the second\)\s+0\.08 s\s+0\.04 s\s+2\.0x/);
  });

  it('prints every figure with both values and the ratio', () => {
    const text = formatSideBySide([figures('agent-operator', 12), figures('baseline', 4)], ['header']);
    assert.match(text, /RSS at start, 0 Agents\s+12 MiB\s+4 MiB\s+3\.0x/);
    assert.match(text, /writes in the two idle minutes\s+12\s+4\s+3\.0x/);
    assert.match(text, /does less: no events/);
  });
});

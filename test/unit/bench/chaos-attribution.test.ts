import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attribute, bucketRates, rateWithout, type Bucket, type NodeDown } from '../../../bench/chaos/attribution.ts';
import { figures, type Stretch } from '../../../bench/chaos/figures.ts';
import type { Fault, FaultClass } from '../../../bench/chaos/schedule.ts';

const fault = (cls: FaultClass, agent: number, at: number, endsAt: number, id = 0): Fault => ({ id, class: cls, at, agent, endsAt });
const settleSeconds = 60;

describe('chaos attribution: abnormal agent-seconds by fault class', () => {
  const cases: { name: string; faults: Fault[]; stretches: [number, Stretch[]][]; downs?: NodeDown[]; runEnd?: number; seconds: Partial<Record<Bucket, number>> }[] = [
    { name: 'no stretch, nothing attributed', faults: [fault('oom', 0, 10, 250)], stretches: [], seconds: {} },
    {
      name: "a stretch inside a fault's window is that fault's class",
      faults: [fault('bad-release', 0, 10, 250)], stretches: [[0, [{ from: 11, to: 17 }]]], seconds: { 'bad-release': 6 },
    },
    {
      name: "the revert's rollout blip, after the fault's end but within settle, is still the fault's",
      faults: [fault('bad-config', 0, 10, 250)], stretches: [[0, [{ from: 251, to: 253 }]]], seconds: { 'bad-config': 2 },
    },
    {
      name: 'a stretch before the first fault (warm-up) is outside any fault',
      faults: [fault('oom', 0, 100, 340)], stretches: [[0, [{ from: 5, to: 8 }]]], seconds: { outside: 3 },
    },
    {
      name: 'a stretch of an agent with no fault is outside any fault (a late heartbeat, a blip)',
      faults: [fault('oom', 0, 100, 340)], stretches: [[3, [{ from: 150, to: 152 }]]], seconds: { outside: 2 },
    },
    {
      name: 'a stretch begun after the fault had settled (end + settle) is outside',
      faults: [fault('transient-crash', 0, 10, 40)], stretches: [[0, [{ from: 100, to: 104 }, { from: 99, to: 100 }]]], seconds: { outside: 4, 'transient-crash': 1 },
    },
    {
      name: 'a stretch begun in a window keeps its fault to the end of the run (never recovered), clipped there',
      faults: [fault('bad-release', 0, 10, 250)], stretches: [[0, [{ from: 12, to: undefined }]]], runEnd: 1000, seconds: { 'bad-release': 988 },
    },
    {
      name: "a stretch open at a fault's onset is cut there: before it outside, after it the fault's",
      faults: [fault('strict-probe', 0, 50, 290)], stretches: [[0, [{ from: 40, to: 60 }]]], seconds: { outside: 10, 'strict-probe': 10 },
    },
    {
      name: "a stretch running from one fault into the agent's next is cut at the next onset",
      faults: [fault('oom', 0, 10, 250), fault('bad-release', 0, 400, 640, 1)], stretches: [[0, [{ from: 300, to: 420 }]]],
      seconds: { oom: 100, 'bad-release': 20 },
    },
    {
      name: "a lost node's agents: their stretches open at the stop or begun while it was down are node-loss whole, their own fault's too",
      faults: [fault('node-loss', 1, 100, 460), fault('bad-config', 2, 90, 330, 1)],
      stretches: [[1, [{ from: 101, to: 151 }]], [2, [{ from: 91, to: 96 }, { from: 98, to: 150 }]], [3, [{ from: 120, to: 130 }]]],
      downs: [{ agents: new Set([1, 2]), from: 100, to: 460 }],
      seconds: { 'node-loss': 50 + 52, 'bad-config': 5, outside: 10 },
    },
    {
      name: "a plain Deployment's node loss: the stretch past the node's return (the replacement's start) is still the loss's",
      faults: [fault('node-loss', 1, 100, 460)], stretches: [[1, [{ from: 101, to: 470 }]]],
      downs: [{ agents: new Set([1]), from: 100, to: 460 }], seconds: { 'node-loss': 369 },
    },
    {
      name: 'stretches before t = 0 count from 0',
      faults: [], stretches: [[0, [{ from: -3, to: 2 }]]], seconds: { outside: 2 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = attribute({ agents: 10, faults: c.faults, stretches: new Map(c.stretches), runEnd: c.runEnd ?? 1000, downs: c.downs ?? [], settleSeconds });
      assert.deepEqual(a.seconds, c.seconds);
      assert.equal(a.abnormal, Object.values(c.seconds).reduce((n, s) => n + s, 0));
      assert.equal(a.agentSeconds, 10 * (c.runEnd ?? 1000));
    });
  }

  it('gives each bucket its share of all agent-seconds and the rate without it; the shares add up to the abnormal rate', () => {
    const faults = [fault('oom', 0, 10, 250), fault('node-loss', 1, 100, 460, 1)];
    const stretches = new Map<number, Stretch[]>([[0, [{ from: 1, to: 3 }, { from: 11, to: 17 }]], [1, [{ from: 101, to: 151 }]], [2, [{ from: 100, to: 140 }]]]);
    const downs = [{ agents: new Set([1, 2]), from: 100, to: 460 }];
    const f = figures('fast', 4, faults, stretches, 500, downs, settleSeconds);
    assert.deepEqual(bucketRates(f.attribution), [
      { bucket: 'oom', seconds: 6, rate: 6 / 2000, rateWithout: 92 / 2000 },
      { bucket: 'node-loss', seconds: 90, rate: 90 / 2000, rateWithout: 8 / 2000 },
      { bucket: 'outside', seconds: 2, rate: 2 / 2000, rateWithout: 96 / 2000 },
    ]);
    assert.equal(bucketRates(f.attribution).reduce((n, b) => n + b.rate, 0), f.abnormalRate);
    assert.equal(f.abnormalRateWithoutNodeLoss, rateWithout(f.attribution, 'node-loss'));
    assert.equal(rateWithout(f.attribution, 'node-loss', 'outside'), 6 / 2000);
  });
});

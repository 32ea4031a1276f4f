import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { abnormalRate, figures, outcomes, withoutNodeLoss, type Stretch } from '../../../bench/chaos/figures.ts';
import type { Fault } from '../../../bench/chaos/schedule.ts';
import { stretchesText } from '../../../bench/chaos/report.ts';

const bad = (agent: number, at: number, endsAt: number, id = 0): Fault => ({ id, class: 'bad-release', at, agent, endsAt });
const transient = (agent: number, at: number, endsAt: number, id = 0): Fault => ({ id, class: 'transient-crash', at, agent, endsAt });
const one = (s: Stretch[]) => new Map([[0, s]]);

describe('chaos figures', () => {
  const cases: { name: string; fault: Fault; stretches: Stretch[]; mttr: number | undefined; needsHuman: boolean }[] = [
    { name: 'a fault that never made the agent abnormal has MTTR 0', fault: bad(0, 10, 100), stretches: [], mttr: 0, needsHuman: false },
    { name: 'recovery is the end of the last stretch begun before the revert', fault: bad(0, 10, 100), stretches: [{ from: 12, to: 15 }, { from: 17, to: 22 }], mttr: 12, needsHuman: false },
    { name: "the revert's own rollout blip is not this fault", fault: bad(0, 10, 100), stretches: [{ from: 12, to: 20 }, { from: 101, to: 102 }], mttr: 10, needsHuman: false },
    { name: 'a release fault that lasted until the revert needed a person', fault: bad(0, 10, 100), stretches: [{ from: 12, to: 105 }], mttr: 95, needsHuman: true },
    { name: 'a recovery that had not held 15 s when the person reverted needed the person', fault: bad(0, 10, 100), stretches: [{ from: 12, to: 88 }, { from: 90, to: 98 }], mttr: 90, needsHuman: true },
    { name: 'a recovery that held 15 s before the revert was the fleet healing itself', fault: bad(0, 10, 100), stretches: [{ from: 12, to: 84 }], mttr: 74, needsHuman: false },
    { name: 'a passing cause that lasted past its end recovered without a person', fault: transient(0, 10, 40), stretches: [{ from: 11, to: 50 }], mttr: 40, needsHuman: false },
    { name: 'an agent still abnormal at the end never recovered', fault: transient(0, 10, 40), stretches: [{ from: 11, to: undefined }], mttr: undefined, needsHuman: true },
    { name: 'stretches before the onset do not count', fault: transient(0, 10, 40), stretches: [{ from: 1, to: 5 }], mttr: 0, needsHuman: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [o] = outcomes([c.fault], one(c.stretches), 200);
      assert.equal(o!.mttr, c.mttr);
      assert.equal(o!.needsHuman, c.needsHuman);
    });
  }

  it("closes a fault's window at the agent's next fault", () => {
    const faults = [bad(0, 10, 100, 0), bad(0, 150, 240, 1)];
    const [first, second] = outcomes(faults, one([{ from: 12, to: 160 }]), 300);
    assert.equal(first!.mttr, undefined, 'still abnormal when the next fault came');
    assert.equal(second!.mttr, 10);
  });

  it("counts a fault's abnormal seconds apart from its MTTR: an agent serving between two blips was down only for the blips", () => {
    const [o] = outcomes([{ ...bad(0, 10, 240), class: 'memory-growth' }], one([{ from: 12, to: 14 }, { from: 100, to: 101 }, { from: 241, to: 243 }]), 300);
    assert.equal(o!.mttr, 91);
    assert.equal(o!.abnormalSeconds, 3, 'the revert\'s own blip is not counted either');
    assert.equal(stretchesText(o!), '2.0-4.0 90.0-91.0', 'faults.csv says where the MTTR went, from the onset');
    const [never] = outcomes([transient(0, 10, 40)], one([{ from: 5, to: undefined }]), 100);
    assert.equal(never!.abnormalSeconds, 90, 'from the onset to the end');
  });

  it('counts abnormal agent-seconds over the whole run', () => {
    const s = new Map<number, Stretch[]>([[0, [{ from: 0, to: 10 }]], [1, [{ from: 90, to: undefined }]]]);
    assert.equal(abnormalRate(10, s, 100), 20 / 1000);
  });

  it('leaves out what a lost node caused: the stretches of its agents open at its stop or begun while it was down', () => {
    const s = new Map<number, Stretch[]>([
      [0, [{ from: 5, to: 8 }, { from: 99, to: 150 }, { from: 120, to: 125 }, { from: 300, to: 301 }]],
      [1, [{ from: 110, to: 160 }]],
      [2, [{ from: 100, to: undefined }]],
    ]);
    const down = [{ agents: new Set([0, 2]), from: 100, to: 200 }];
    assert.deepEqual(withoutNodeLoss(s, down), new Map([[0, [{ from: 5, to: 8 }, { from: 300, to: 301 }]], [1, [{ from: 110, to: 160 }]], [2, []]]));
    const f = figures('defaults', 10, [], s, 1000, down);
    assert.equal(f.abnormalRateWithoutNodeLoss, (3 + 1 + 50) / 10_000);
    assert.ok(f.abnormalRate > f.abnormalRateWithoutNodeLoss);
  });

  it('summarises per class with the share that needed a person', () => {
    const faults = [bad(0, 10, 100, 0), bad(1, 10, 100, 1), transient(2, 10, 40, 2)];
    const f = figures('plain', 3, faults, new Map([[0, [{ from: 11, to: 20 }]], [1, [{ from: 11, to: 110 }]]]), 200);
    const br = f.classes.find((c) => c.class === 'bad-release')!;
    assert.deepEqual([br.faults, br.recovered, br.p50, br.max, br.needsHuman], [2, 2, 10, 100, 1]);
    assert.equal(f.needsHumanShare, 1 / 3);
  });
});

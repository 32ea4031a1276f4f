import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMix, faultClasses, releaseClasses, schedule, type ScheduleOptions } from '../../../bench/chaos/schedule.ts';

const base: ScheduleOptions = {
  seed: 42, agents: 100, warmupSeconds: 70, faultSeconds: 600, faults: 30, mix: defaultMix,
  humanAfterSeconds: 240, causeSeconds: 30, nodeDownSeconds: 360, settleSeconds: 30,
};

describe('the chaos schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(schedule(base), schedule({ ...base }));
    assert.notDeepEqual(schedule(base), schedule({ ...base, seed: 43 }));
  });

  it('observes every weighted class once there are as many faults as classes', () => {
    for (const seed of [1, 2, 3, 42, 1000]) {
      const seen = new Set(schedule({ ...base, seed, faults: faultClasses.filter((c) => defaultMix[c] > 0).length }).map((f) => f.class));
      assert.deepEqual([...seen].sort(), faultClasses.filter((c) => defaultMix[c] > 0).sort(), `seed ${seed}`);
    }
  });

  it('draws only classes with a positive weight', () => {
    const mix = Object.fromEntries(faultClasses.map((c) => [c, c === 'oom' ? 1 : 0])) as typeof defaultMix;
    assert.ok(schedule({ ...base, mix }).every((f) => f.class === 'oom'));
  });

  it('starts faults inside the fault phase, in order, ending after the person or the cause', () => {
    const faults = schedule(base);
    assert.equal(faults.length, 30);
    for (const [i, f] of faults.entries()) {
      assert.ok(f.at >= base.warmupSeconds && f.at < base.warmupSeconds + base.faultSeconds, `fault ${i} at ${f.at}`);
      if (i > 0) assert.ok(f.at > faults[i - 1]!.at);
      assert.equal(f.endsAt - f.at, releaseClasses.has(f.class) ? base.humanAfterSeconds : f.class === 'node-loss' ? base.nodeDownSeconds : base.causeSeconds);
    }
  });

  it('breaks an agent with one fault at a time, settled in between', () => {
    const faults = schedule({ ...base, agents: 3, faults: 8, faultSeconds: 2000 });
    for (const f of faults) {
      for (const g of faults) {
        if (g.agent !== f.agent || g.at <= f.at) continue;
        assert.ok(g.at >= f.endsAt + base.settleSeconds, `agent ${f.agent}: fault at ${g.at} before ${f.endsAt} + settle`);
      }
    }
  });

  it('refuses a rate the fleet cannot carry, naming the fix', () => {
    assert.throws(() => schedule({ ...base, agents: 2, faults: 3, faultSeconds: 10 }), /raise --agents or lower the fault rate/);
    assert.throws(() => schedule({ ...base, mix: { ...defaultMix, ...Object.fromEntries(faultClasses.map((c) => [c, 0])) } }), /positive weight/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realClock, spreadAround } from '../../../src/runtime/clock.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';

describe('FakeClock', () => {
  it('fires due timers in time order, moving now() to each due time', async () => {
    const clock = new FakeClock(0);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 300);
    await clock.advance(250);
    assert.deepEqual(fired, [['a', 100], ['b', 200]]);
    assert.equal(clock.now(), 250);
  });

  it('lets awaiting code schedule and hit its next timer within one advance', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(30);
    assert.deepEqual(ticks, [10, 20, 30]);
  });

  it('ends a sleep early when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    let woke = false;
    void clock.sleep(1000, ac.signal).then(() => { woke = true; });
    ac.abort();
    await clock.flush();
    assert.equal(woke, true);
    assert.equal(clock.pending(), 0);
  });
});

describe('realClock', () => {
  it('sleeps for real only when asked to, and an aborted sleep returns at once', async () => {
    const ac = new AbortController();
    ac.abort();
    const before = Date.now();
    await realClock.sleep(60_000, ac.signal);
    assert.ok(Date.now() - before < 1000);
  });
});

describe('spreadAround', () => {
  it('spreads a period evenly within +-spread', () => {
    assert.equal(spreadAround(1000, 0.1, fixedRandom(0)), 900);
    assert.equal(spreadAround(1000, 0.1, fixedRandom(0.5)), 1000);
    assert.ok(spreadAround(1000, 0.1, fixedRandom(0.999999)) < 1100);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../../src/runtime/backoff.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';

describe('Backoff', () => {
  it('doubles from 800 ms up to 30 s while failures keep coming', async () => {
    const clock = new FakeClock();
    const backoff = new Backoff(clock, fixedRandom(0));
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = backoff.next();
      delays.push(d);
      await clock.advance(d);
    }
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it('starts again from 800 ms after 2 minutes without a failure', async () => {
    const clock = new FakeClock();
    const backoff = new Backoff(clock, fixedRandom(0));
    backoff.next();
    backoff.next();
    assert.equal(backoff.next(), 3200);
    await clock.advance(120_001);
    assert.equal(backoff.next(), 800);
  });

  it('takes up to the jitter fraction off the delay, never adding to it', () => {
    const clock = new FakeClock();
    assert.equal(new Backoff(clock, fixedRandom(0.999999)).next(), 640);
    assert.equal(new Backoff(clock, fixedRandom(0.5), { jitter: 0.5 }).next(), 600);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentRateLimiter, agentRetryMaxMs } from '../../../src/reconcile/retry.ts';

describe('the Agent controller\'s retry backoff', () => {
  it('doubles from 5 ms per consecutive failure and never waits longer than 30 s, so a healed network is seen within 30 s', () => {
    const limiter = agentRateLimiter();
    const delays = Array.from({ length: 20 }, () => limiter.when('default/fwd'));
    assert.deepEqual(delays.slice(0, 4), [5, 10, 20, 40]);
    assert.equal(delays[12], 20_480);
    assert.deepEqual(delays.slice(13), Array(7).fill(agentRetryMaxMs), 'from the 14th failure on: the cap, not 41 s, 82 s, ... 1,000 s');
    assert.equal(agentRetryMaxMs, 30_000);
  });

  it('starts a key over once it succeeds, and keeps keys apart', () => {
    const limiter = agentRateLimiter();
    for (let i = 0; i < 5; i++) limiter.when('default/a');
    assert.equal(limiter.when('default/b'), 5);
    limiter.forget('default/a');
    assert.equal(limiter.when('default/a'), 5);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, raisedMemory } from '../../../src/recovery/steps.ts';

describe('backoffMs', () => {
  const restart = { initialBackoffSeconds: 10, maxBackoffSeconds: 300, maxAttempts: 3, windowSeconds: 3600, healthyResetSeconds: 600 };
  it('doubles from the initial backoff up to the cap', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 100].map((n) => backoffMs(restart, n) / 1000), [10, 20, 40, 80, 160, 300, 300, 300]);
  });
});

describe('raisedMemory', () => {
  const cases: [string, string, { to: string; capped: boolean }][] = [
    ['256Mi', '1Gi', { to: '356Mi', capped: false }],
    ['556Mi', '1Gi', { to: '668Mi', capped: false }],
    ['1Gi', '4Gi', { to: '1229Mi', capped: false }],
    ['900Mi', '1Gi', { to: '1Gi', capped: false }],
    ['1Gi', '1Gi', { to: '1Gi', capped: true }],
    ['2Gi', '1Gi', { to: '2Gi', capped: true }],
    ['900Mi', '1G', { to: '1G', capped: false }],
    ['268435456', '1Gi', { to: '356Mi', capped: false }],
  ];
  for (const [limit, max, expected] of cases) {
    it(`raises ${limit} (max ${max}) to ${expected.to}${expected.capped ? ', capped' : ''}`, () => assert.deepEqual(raisedMemory(limit, max), expected));
  }
});

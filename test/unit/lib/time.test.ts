import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, isoText } from '../../../src/lib/time.ts';

describe('isoText', () => {
  it('gives a Date (as the ObjectSerializer hands it over) as ISO text', () => {
    assert.equal(isoText(new Date('2026-11-27T11:00:00.123Z')), '2026-11-27T11:00:00.123Z');
  });

  it('gives a string (straight off a watch or kubectl) as it is', () => {
    assert.equal(isoText('2026-11-27T11:00:00Z'), '2026-11-27T11:00:00Z');
  });

  it('gives no time as empty text', () => {
    assert.equal(isoText(undefined), '');
    assert.equal(isoText(null), '');
  });
});

describe('formatDuration', () => {
  it('writes durations the compact way people read them', () => {
    const table: [number, string][] = [
      [0, '0s'], [-5_000, '0s'], [45_000, '45s'], [59_400, '59s'], [60_000, '1m'], [150_000, '2m30s'],
      [3_600_000, '1h'], [3_900_000, '1h5m'], [3_630_000, '1h'], [25 * 3_600_000, '25h'],
    ];
    for (const [ms, want] of table) assert.equal(formatDuration(ms), want, `${ms} ms`);
  });
});

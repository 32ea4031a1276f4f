import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoText } from '../../../src/lib/time.ts';

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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deepMerge } from '../../../src/desired/merge.ts';

describe('deepMerge', () => {
  const table: [string, Record<string, unknown>[], Record<string, unknown>][] = [
    ['merges mappings key by key, later wins', [{ a: 1, b: { c: 1, d: 1 } }, { b: { d: 2, e: 2 } }], { a: 1, b: { c: 1, d: 2, e: 2 } }],
    ['replaces lists whole', [{ l: [1, 2, 3] }, { l: [4] }], { l: [4] }],
    ['replaces a mapping with a scalar', [{ a: { b: 1 } }, { a: 'x' }], { a: 'x' }],
    ['replaces a scalar with a mapping', [{ a: 'x' }, { a: { b: 1 } }], { a: { b: 1 } }],
    ['removes a key set to null in a later layer', [{ a: 1, b: { c: 1, d: 1 } }, { b: { c: null } }, { a: null }], { b: { d: 1 } }],
    ['never outputs null, even from the first layer', [{ a: null, b: { c: null } }], { b: {} }],
    ['keeps null items inside lists', [{ l: [null, 1] }], { l: [null, 1] }],
    ['re-adds a removed key at the end', [{ a: 1, b: 2 }, { a: null }, { a: 3 }], { b: 2, a: 3 }],
  ];
  for (const [title, layers, expected] of table) {
    it(title, () => assert.deepEqual(deepMerge(...layers), expected));
  }

  it('keeps keys in first-seen order', () => {
    assert.deepEqual(Object.keys(deepMerge({ z: 1, a: 1 }, { m: 1, z: 2 })), ['z', 'a', 'm']);
  });

  it('treats a __proto__ key as an ordinary key', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const merged = deepMerge({}, evil);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.deepEqual(Object.keys(merged), ['__proto__']);
  });

  it('does not mutate its inputs', () => {
    const a = { x: { y: 1 } };
    const b = { x: { z: 2 } };
    deepMerge(a, b);
    assert.deepEqual(a, { x: { y: 1 } });
    assert.deepEqual(b, { x: { z: 2 } });
  });
});

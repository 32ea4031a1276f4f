import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../../src/lib/canonical-json.ts';

describe('canonicalJson', () => {
  it('serialises objects that differ only in key order identically, at every level', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: 3 } }), canonicalJson({ a: { c: 3, d: [{ x: 2, y: 1 }] }, b: 1 }));
    assert.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
  });
  it('drops undefined members the way JSON.stringify does, and keeps list order', () => {
    assert.equal(canonicalJson({ a: undefined, b: [2, 1] }), '{"b":[2,1]}');
  });
  it('serialises a Date as its ISO string, not as an empty object', () => {
    assert.equal(canonicalJson({ at: new Date('2026-11-27T10:00:00Z') }), '{"at":"2026-11-27T10:00:00.000Z"}');
  });
  it('keeps a key named __proto__ as data', () => {
    assert.equal(canonicalJson(JSON.parse('{"__proto__":{"x":1}}')), '{"__proto__":{"x":1}}');
  });
});

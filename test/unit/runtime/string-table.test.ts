// The cache's string table (src/runtime/string-table.ts): bounded, and what it
// freezes reads exactly as before. That copies are shared is shown by the
// heap snapshot of bench/cache-memory.ts (identity of strings is not observable).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freezeSharingStrings, StringTable } from '../../../src/runtime/string-table.ts';

describe('StringTable', () => {
  it('holds each string once, and never more than maxEntries', () => {
    const t = new StringTable({ maxEntries: 3 });
    for (const s of ['a', 'b', 'a', 'b']) t.share(s);
    assert.equal(t.size, 2);
    for (const s of ['c', 'd', 'e']) t.share(s);
    assert.ok(t.size <= 3, `${t.size} entries`);
  });

  it('keeps a full table as it is when a string it holds comes again', () => {
    const t = new StringTable({ maxEntries: 3 });
    for (const s of ['a', 'b', 'c']) t.share(s);
    for (const s of ['a', 'b', 'c', 'a']) t.share(s);
    assert.equal(t.size, 3, 'a hit on a full table must not clear it');
  });

  it('does not take long strings', () => {
    const t = new StringTable({ maxLength: 4 });
    assert.equal(t.share('x'.repeat(5)), 'x'.repeat(5));
    assert.equal(t.size, 0);
  });
});

describe('freezeSharingStrings', () => {
  it('leaves every value as it was, frozen all the way down, arrays and deep nesting included', () => {
    const obj = { metadata: { name: 'a', uid: 'u-1', resourceVersion: '7', labels: { x: 'agent-operator' } }, spec: { list: ['p', 'q', { r: 's' }], n: 1, b: true, z: null } };
    const copy = structuredClone(obj);
    const t = new StringTable();
    assert.equal(freezeSharingStrings(obj, t), obj);
    assert.deepEqual(obj, copy);
    assert.ok(Object.isFrozen(obj.spec.list[2]));
    assert.throws(() => { (obj.metadata.labels as Record<string, string>).x = 'y'; }, TypeError);
    let deep: Record<string, unknown> = { leaf: 'v' };
    for (let i = 0; i < 20_000; i++) deep = { next: deep };
    freezeSharingStrings(deep, t);
    assert.ok(Object.isFrozen(deep));
  });

  it('takes a part that is frozen already (one shared by two objects) as it is', () => {
    const shared = { name: 'common' };
    const obj = { a: shared, b: shared, c: Object.freeze({ d: 'done' }) };
    freezeSharingStrings(obj, new StringTable());
    assert.ok(Object.isFrozen(obj) && Object.isFrozen(shared));
    assert.deepEqual(obj, { a: { name: 'common' }, b: { name: 'common' }, c: { d: 'done' } });
  });

  it('does not fill the table with uids and resourceVersions', () => {
    const t = new StringTable();
    for (let i = 0; i < 100; i++) freezeSharingStrings({ metadata: { uid: `u-${i}`, resourceVersion: String(i), namespace: 'team' } }, t);
    assert.equal(t.size, 1);
  });
});

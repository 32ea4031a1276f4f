import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store } from '../../../src/runtime/store.ts';
import { obj, type TestObject } from './fake-list-watch.ts';

const names = (objs: TestObject[]) => objs.map((o) => o.metadata!.name).sort();

describe('Store', () => {
  it('gets objects by namespace and name and lists them per namespace', () => {
    const store = new Store<TestObject>();
    store.set(obj('a', '1'));
    store.set({ ...obj('b', '1'), metadata: { namespace: 'other', name: 'b' } });
    store.set({ metadata: { name: 'cluster-scoped' } });
    assert.equal(store.get('ns', 'a')?.metadata?.name, 'a');
    assert.equal(store.get(undefined, 'cluster-scoped')?.metadata?.name, 'cluster-scoped');
    assert.deepEqual(names(store.list('other')), ['b']);
    assert.equal(store.list().length, 3);
  });

  it('indexes objects under several values and moves them when they change', () => {
    const store = new Store<TestObject>();
    store.set(obj('a', '1', { spec: { secrets: ['s1', 's2'] } }));
    store.addIndex('secret', (o) => (o.spec?.secrets as string[]) ?? []);
    store.set(obj('b', '1', { spec: { secrets: ['s2'] } }));
    assert.deepEqual(names(store.byIndex('secret', 's2')), ['a', 'b']);
    store.set(obj('a', '2', { spec: { secrets: ['s3'] } }));
    assert.deepEqual(names(store.byIndex('secret', 's1')), []);
    assert.deepEqual(names(store.byIndex('secret', 's2')), ['b']);
    store.delete('ns/b');
    assert.deepEqual(store.byIndex('secret', 's2'), []);
    assert.deepEqual(names(store.byIndex('secret', 's3')), ['a']);
  });

  it('reports a throwing index function instead of throwing, and still stores the object', () => {
    const errors: string[] = [];
    const store = new Store<TestObject>((name) => errors.push(name));
    store.addIndex('bad', () => { throw new Error('bug'); });
    store.set(obj('a', '1'));
    assert.equal(store.list().length, 1);
    assert.deepEqual(errors, ['bad']);
  });

  it('refuses an unknown index name and a duplicate one', () => {
    const store = new Store<TestObject>();
    store.addIndex('x', () => []);
    assert.throws(() => store.addIndex('x', () => []), /^Error: index x already exists$/);
    assert.throws(() => store.byIndex('nope', 'v'), /^Error: no index named nope$/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ObjectMeta } from '../../../src/runtime/kube-object.ts';
import { toControllerOwner, toSelf } from '../../../src/runtime/mappers.ts';
import { primaryChanged } from '../../../src/runtime/predicates.ts';

const meta = { initial: false };
const o = (m: ObjectMeta): KubeObject => ({ metadata: { name: 'a', namespace: 'ns', generation: 1, resourceVersion: '1', ...m } });

describe('primaryChanged', () => {
  const cases: Array<[string, ObjectMeta, boolean]> = [
    ['status-only write (resourceVersion moves, generation does not)', { resourceVersion: '2' }, false],
    ['spec change bumps generation', { generation: 2 }, true],
    ['label added', { labels: { team: 'x' } }, true],
    ['annotation added', { annotations: { 'agents.example.com/paused': 'true' } }, true],
    ['finalizer added or removed', { finalizers: ['agents.example.com/cleanup'] }, true],
    ['deletion started', { deletionTimestamp: '2026-11-27T11:00:00Z' }, true],
  ];
  for (const [name, change, passes] of cases) {
    it(`${passes ? 'passes' : 'drops'} an update: ${name}`, () => {
      assert.equal(primaryChanged.update!(o({}), o(change), meta), passes);
    });
  }

  it('passes creates and deletes (a missing method lets the event through, as the Controller reads it)', () => {
    assert.equal(primaryChanged.create?.(o({}), meta) ?? true, true);
    assert.equal(primaryChanged.delete?.(o({}), meta) ?? true, true);
  });

  it('passes an update of an object that had no metadata before', () => {
    assert.equal(primaryChanged.update!({}, o({}), meta), true);
  });
});

describe('mappers', () => {
  it('maps an object to itself', () => {
    assert.deepEqual(toSelf(o({})), ['ns/a']);
  });

  it('maps to the controller owner of the right group and kind, in the object namespace', () => {
    const map = toControllerOwner({ group: 'agents.example.com', kind: 'Agent' });
    const ref = (apiVersion: string, kind: string, controller?: boolean) => ({ apiVersion, kind, name: 'owner', uid: 'u', ...(controller !== undefined ? { controller } : {}) });
    assert.deepEqual(map(o({ ownerReferences: [ref('agents.example.com/v1alpha1', 'Agent', true)] })), ['ns/owner']);
    assert.deepEqual(map(o({ ownerReferences: [ref('agents.example.com/v1', 'Agent')] })), []);
    assert.deepEqual(map(o({ ownerReferences: [ref('apps/v1', 'Agent', true)] })), []);
    assert.deepEqual(map(o({ ownerReferences: [ref('agents.example.com/v1', 'Other', true)] })), []);
    assert.deepEqual(map(o({})), []);
  });
});

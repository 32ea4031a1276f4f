// readAgent: what the operator reads of an Agent the apiserver stored, valid or not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAgent, type StoredAgent } from '../../../src/api/stored-agent.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed } from '../../fixtures/observed.ts';

const valid = agent('fwd').port('http', 8080).build();
const stored = (spec: unknown, status?: unknown): StoredAgent => ({ apiVersion: valid.apiVersion, kind: valid.kind, metadata: valid.metadata, spec, ...(status !== undefined ? { status } : {}) });

describe('readAgent', () => {
  it('reads a valid Agent as it is, with nothing invalid', () => {
    assert.deepEqual(readAgent(stored(valid.spec)), { agent: valid, invalid: [] });
  });

  it('leaves out each refused value and keeps the rest: a list element missing a required field goes whole', () => {
    const r = readAgent(stored({ image: 'a:1', env: [{ name: 'A', value: 5 }, { value: 'x' }, { name: 'OK', value: 'y' }, { name: 'C', valueFrom: 'x' }] }));
    assert.deepEqual(r.agent.spec.env, [{ name: 'A' }, { name: 'OK', value: 'y' }, { name: 'C' }]);
    assert.deepEqual(r.invalid.map((m) => m.split(':')[0]), ['spec.env.0.value', 'spec.env.1.name', 'spec.env.3.valueFrom']);
  });

  it('reads a missing spec, or a refused image, as the empty image, and names it', () => {
    assert.deepEqual(readAgent(stored(undefined)).agent.spec, { image: '' });
    assert.match(readAgent(stored(undefined)).invalid.join(), /^spec: /);
    const r = readAgent(stored({ image: 5, replicas: 2 }));
    assert.deepEqual(r.agent.spec, { image: '', replicas: 2 });
    assert.match(r.invalid.join(), /^spec\.image: /);
  });

  it('drops a status it cannot read without calling the spec invalid', () => {
    const r = readAgent(stored(valid.spec, { conditions: 'Ready', phase: 'Running' }));
    assert.deepEqual(r.invalid, []);
    assert.deepEqual(r.agent.status, { phase: 'Running' });
  });

  // The Agent cache's objects are read on every add (the phase metric) and
  // each reading lives as long as its stored object: a copy per Agent would
  // hold every Agent twice (at 10,000 Agents, tens of MiB; bench/cache-memory.ts).
  it('reads a valid stored Agent as the same object, not a copy', () => {
    const s = structuredClone(stored(valid.spec, { phase: 'Running', observedGeneration: 1 }));
    assert.equal(readAgent(s).agent, s);
    // As the apiserver sends it back: the status the operator writes, the metadata the apiserver adds.
    const full = JSON.parse(JSON.stringify({ ...stored(valid.spec, plan(observed(valid)).status),
      metadata: { ...valid.metadata, resourceVersion: '42', creationTimestamp: '2026-12-01T10:00:00Z', labels: { team: 'a' }, annotations: { note: 'x' } } })) as StoredAgent;
    assert.equal(readAgent(full).agent, full);
    assert.ok(Object.isFrozen(s.spec), 'frozen as a reading is');
  });

  it('copies what it had to change: a refused value, a status it cannot read', () => {
    const s = stored(valid.spec, { conditions: 'Ready', phase: 'Running' });
    assert.notEqual(readAgent(s).agent, s);
    assert.equal((s.status as { conditions: string }).conditions, 'Ready', 'the stored object is left as it was');
  });

  it('reads each stored object once, and the reading cannot be changed', () => {
    const s = stored({ image: 'a:1', replicas: 'two' });
    const r = readAgent(s);
    assert.equal(readAgent(s), r);
    assert.ok(Object.isFrozen(r.agent.spec));
  });
});

// readAgent: what the operator reads of an Agent the apiserver stored, valid or not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAgent, type StoredAgent } from '../../../src/api/stored-agent.ts';
import { agent } from '../../fixtures/agent.ts';

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

  it('reads each stored object once, and the reading cannot be changed', () => {
    const s = stored({ image: 'a:1', replicas: 'two' });
    const r = readAgent(s);
    assert.equal(readAgent(s), r);
    assert.ok(Object.isFrozen(r.agent.spec));
  });
});

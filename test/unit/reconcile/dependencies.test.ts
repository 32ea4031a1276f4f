import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { evaluateDependencies, findCycle } from '../../../src/reconcile/dependencies.ts';
import { agent } from '../../fixtures/agent.ts';

function ready(a: Agent, status: 'True' | 'False', reason = status === 'True' ? 'Ready' : 'Unavailable'): Agent {
  return { ...a, status: { conditions: [{ type: 'Ready', status, reason, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
}

function view(agents: Agent[], slices: Record<string, V1EndpointSlice[]> = {}) {
  const byName = new Map(agents.map((a) => [a.metadata.name, a]));
  return { agent: (n: string) => byName.get(n), endpointSlices: (s: string) => slices[s] ?? [] };
}

describe('dependencies', () => {
  it('an Agent without dependsOn is ready and says it has none', () => {
    const a = agent('solo').build();
    assert.deepEqual(evaluateDependencies(a, view([a])), { ready: true, waits: [], none: true });
  });

  it('waits for a dependency Agent that is not Ready, naming its reason', () => {
    const a = agent('collector').dependsOnAgent('forwarder').build();
    const dep = ready(agent('forwarder').build(), 'False', 'CrashLoopBackOff');
    const s = evaluateDependencies(a, view([a, dep]));
    assert.equal(s.ready, false);
    assert.deepEqual(s.waits, [{ kind: 'Agent', name: 'forwarder', state: 'NotReady', detail: 'CrashLoopBackOff' }]);
  });

  it('waits for a dependency Agent that does not exist', () => {
    const a = agent('collector').dependsOnAgent('ghost').build();
    assert.deepEqual(evaluateDependencies(a, view([a])).waits, [{ kind: 'Agent', name: 'ghost', state: 'Missing' }]);
  });

  it('is ready once every dependency Agent is Ready and every Service has a ready endpoint', () => {
    const a = agent('collector').dependsOnAgent('forwarder').dependsOnService('db').build();
    const slices = { db: [{ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }] }] };
    const s = evaluateDependencies(a, view([a, ready(agent('forwarder').build(), 'True')], slices));
    assert.deepEqual(s, { ready: true, waits: [], none: false });
  });

  it('a Service whose endpoints are all unready is NotReady, one with no slices is Missing', () => {
    const a = agent('c').dependsOnService('db').dependsOnService('cache').build();
    const slices = { db: [{ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false } }] }] };
    assert.deepEqual(evaluateDependencies(a, view([a], slices)).waits, [
      { kind: 'Service', name: 'db', state: 'NotReady' },
      { kind: 'Service', name: 'cache', state: 'Missing' },
    ]);
  });

  it('detects a cycle through the Agent and names it in order', () => {
    const a = agent('a').dependsOnAgent('b').build();
    const b = agent('b').dependsOnAgent('c').build();
    const c = agent('c').dependsOnAgent('a').build();
    assert.deepEqual(findCycle('a', view([a, b, c])), ['a', 'b', 'c']);
    const s = evaluateDependencies(b, view([a, b, c]));
    assert.equal(s.ready, false);
    assert.deepEqual(s.cycle, ['b', 'c', 'a']);
  });

  it('an Agent downstream of someone else\'s cycle just waits, it is not in the cycle', () => {
    const a = agent('a').dependsOnAgent('b').build();
    const b = agent('b').dependsOnAgent('a').build();
    const d = agent('d').dependsOnAgent('a').build();
    assert.equal(findCycle('d', view([a, b, d])), undefined);
  });

  it('reads each Agent once looking for a cycle, however the dependencies fan in (no exponential walk)', () => {
    // A ladder: each Agent depends on the next two, so a walk without memory takes about 2^n paths.
    const n = 24;
    const ladder = Array.from({ length: n }, (_, i) => {
      let a = agent(`a${i}`);
      for (const next of [i + 1, i + 2]) if (next < n) a = a.dependsOnAgent(`a${next}`);
      return a.build();
    });
    const v = view(ladder);
    let reads = 0;
    const counted = { agent: (name: string) => { reads++; return v.agent(name); } };
    assert.equal(findCycle('a0', counted), undefined);
    assert.equal(reads, n);
  });
});

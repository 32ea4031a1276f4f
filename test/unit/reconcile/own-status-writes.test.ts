// Read your own status writes: the reconcile after a status write reads the
// Agent that write stored while the informer still shows an older version,
// so it neither recomputes the status against the version it replaced (a 409
// and a backoff) nor applies what that older status implies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../../../src/api/agent.ts';
import type { AgentStatus } from '../../../src/api/status.ts';
import type { KubeIO } from '../../../src/kube/io.ts';
import type { Caches } from '../../../src/reconcile/caches.ts';
import { OwnStatusWrites } from '../../../src/reconcile/own-status-writes.ts';
import { agentReconciler } from '../../../src/reconcile/reconciler.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { agent } from '../../fixtures/agent.ts';
import { t0 } from '../../fixtures/observed.ts';
import { fakeKubeIO } from '../../fixtures/kube-io.ts';

function at(a: Agent, resourceVersion: string, status?: AgentStatus, uid = 'uid-1'): Agent {
  return { ...a, metadata: { ...a.metadata, uid, resourceVersion }, ...(status ? { status } : {}) };
}

const base = agent('fwd').build();
const ready: AgentStatus = { observedGeneration: 1, phase: 'Running' };

describe('OwnStatusWrites', () => {
  const cases: { name: string; writes: [string[], Agent][]; cached: Agent; want: string }[] = [
    { name: 'no write of ours: the cache', writes: [], cached: at(base, '5'), want: '5' },
    { name: 'the cache still shows the version our write replaced: the stored Agent', writes: [[['5'], at(base, '6', ready)]], cached: at(base, '5'), want: '6' },
    { name: 'the cache caught up with our write: the cache', writes: [[['5'], at(base, '6', ready)]], cached: at(base, '6', ready), want: '6' },
    { name: 'the cache moved past our write (someone edited the spec): the cache', writes: [[['5'], at(base, '6', ready)]], cached: at(base, '9'), want: '9' },
    { name: 'two writes in a row while the cache lags: the last one stored', writes: [[['5'], at(base, '6')], [['6'], at(base, '7')]], cached: at(base, '5'), want: '7' },
    { name: 'two writes within one reconcile while the cache lags: the last one stored', writes: [[['5', '6'], at(base, '7')]], cached: at(base, '5'), want: '7' },
    { name: 'a write not preconditioned on a version proves nothing: the cache', writes: [[[], at(base, '6')]], cached: at(base, '5'), want: '5' },
    { name: 'an Agent deleted and created again under the name: the cache', writes: [[['5'], at(base, '6', ready)]], cached: at(base, '5', undefined, 'uid-2'), want: '5' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const own = new OwnStatusWrites();
      for (const [replaced, stored] of c.writes) own.wrote('ns/fwd', replaced, stored);
      assert.equal(own.view('ns/fwd', c.cached).metadata.resourceVersion, c.want);
    });
  }

  it('forgets an entry once the informer shows a version it did not replace, and keeps nothing of managedFields', () => {
    const own = new OwnStatusWrites();
    const stored = at(base, '6', ready);
    (stored.metadata as Record<string, unknown>)['managedFields'] = [{ manager: 'agent-operator' }];
    own.wrote('ns/fwd', ['5'], stored);
    assert.equal('managedFields' in own.view('ns/fwd', at(base, '5')).metadata, false);
    own.seen('ns/fwd', at(base, '5'));
    assert.equal(own.size, 1, 'still behind');
    own.seen('ns/fwd', at(base, '6'));
    assert.equal(own.size, 0);
  });
});

/**
 * An apiserver that keeps one Agent and enforces the status precondition as
 * the real one does, and an Agent informer that has not seen any of the
 * operator's writes yet (the usual few milliseconds, made permanent).
 */
function laggingWorld(initial: Agent) {
  let stored = initial;
  const conflicts: string[] = [];
  const statusWrites: string[] = [];
  const io: KubeIO = fakeKubeIO({
    patchAgentStatus: async (_ns, _n, status, resourceVersion) => {
      if (resourceVersion !== undefined && resourceVersion !== stored.metadata.resourceVersion) {
        conflicts.push(resourceVersion);
        throw new KubeApiError(409, 'Operation cannot be fulfilled on agents.agent-operator.dev "fwd": the object has been modified', { reason: 'Conflict' });
      }
      stored = { ...stored, metadata: { ...stored.metadata, resourceVersion: `${Number(stored.metadata.resourceVersion) + 1}` }, status };
      statusWrites.push(stored.metadata.resourceVersion!);
      return stored;
    },
  });
  const empty = { informers: [], get: () => undefined, list: () => [], byIndex: () => [], listAll: () => [], addIndex: () => {} };
  const caches = new Proxy({}, {
    get: (_t, kind) => (kind === 'agents' ? { ...empty, get: () => initial, listAll: () => [initial] } : empty),
  }) as unknown as Caches;
  const reconcile = agentReconciler({
    caches, io, clock: { now: () => t0.getTime() }, log: noopLogger,
    events: { record: async () => {} },
    metrics: { failures: { inc: () => {} }, remediations: { inc: () => {} } },
  } as unknown as Parameters<typeof agentReconciler>[0]);
  return { reconcile, conflicts, statusWrites };
}

describe('the Agent reconciler after its own status write', () => {
  it('reads the Agent its write stored while the informer lags: the next reconcile writes no status and meets no conflict', async () => {
    const w = laggingWorld(at(agent('fwd').namespace('ns').build(), '5'));
    await w.reconcile('ns/fwd', { signal: new AbortController().signal } as never);
    assert.deepEqual(w.statusWrites, ['6'], 'the first status');
    // Woken again (the Deployment's or a pod's event) before the Agent's watch event arrives.
    await w.reconcile('ns/fwd', { signal: new AbortController().signal } as never);
    assert.deepEqual(w.conflicts, [], 'no status computed against the version it replaced');
    assert.deepEqual(w.statusWrites, ['6'], 'nothing new to write');
  });
});

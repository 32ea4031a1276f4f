import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setCondition, sortConditions } from '../../../src/status/conditions.ts';
import { readRollout, rolloutHealthy } from '../../../src/status/rollout.ts';
import { deployment, iso, t0 } from './fixtures.ts';

describe('setCondition', () => {
  const ready = { type: 'Ready' as const, status: 'True' as const, reason: 'Ready' as const, message: '3/3', observedGeneration: 1 };

  it('stamps a new condition with now, in whole seconds', () => {
    assert.deepEqual(setCondition(undefined, ready, new Date(t0 + 1500)), [{ ...ready, lastTransitionTime: iso(1) }]);
  });

  it('keeps lastTransitionTime when the status is unchanged, and takes the new reason, message and generation', () => {
    const first = setCondition([], ready, new Date(t0));
    const next = setCondition(first, { ...ready, message: '3/3 again', observedGeneration: 2 }, new Date(t0 + 60_000));
    assert.deepEqual(next, [{ ...ready, message: '3/3 again', observedGeneration: 2, lastTransitionTime: iso(0) }]);
  });

  it('moves lastTransitionTime when the status changes', () => {
    const first = setCondition([], ready, new Date(t0));
    const next = setCondition(first, { ...ready, status: 'False', reason: 'Unavailable' }, new Date(t0 + 60_000));
    assert.equal(next[0]!.lastTransitionTime, iso(60));
  });

  it('replaces in place and appends new types, never mutating its input', () => {
    const list = setCondition(setCondition([], ready, new Date(t0)), { ...ready, type: 'Available', reason: 'Available' }, new Date(t0));
    const frozen = structuredClone(list);
    const next = setCondition(list, { ...ready, status: 'False', reason: 'Unavailable' }, new Date(t0));
    assert.deepEqual(next.map((c) => c.type), ['Ready', 'Available']);
    assert.deepEqual(list, frozen);
  });

  it('sorts conditions in the catalogue order', () => {
    const c = (type: string) => ({ type, status: 'True' as const, reason: 'x', message: '', lastTransitionTime: iso(0) });
    assert.deepEqual(sortConditions([c('Stalled'), c('Zeta'), c('Ready'), c('Degraded')]).map((x) => x.type), ['Ready', 'Degraded', 'Stalled', 'Zeta']);
  });
});

describe('readRollout', () => {
  it('sees a finished rollout as complete, not in progress', () => {
    const r = readRollout(deployment(), 3);
    assert.deepEqual([r.complete, r.inProgress, r.deadlineExceeded, r.revision, r.image], [true, false, false, 'rev2', 'registry.example/agent:v2']);
    assert.equal(rolloutHealthy(r, 3), true);
  });

  it('does not see a pod that fails after the rollout as a new rollout, so the policy may act', () => {
    const r = readRollout(deployment({ ready: 2 }), 3);
    assert.deepEqual([r.complete, r.inProgress], [false, false]);
    assert.equal(rolloutHealthy(r, 3), false);
  });

  it('sees a rolling Deployment, and one that has not observed its generation, as in progress', () => {
    assert.equal(readRollout(deployment({ updated: 1, progressing: 'ReplicaSetUpdated' }), 3).inProgress, true);
    assert.equal(readRollout(deployment({ observed: false }), 3).inProgress, true);
  });

  it('sees a rollout past its deadline as no longer in progress', () => {
    const r = readRollout(deployment({ updated: 1, progressing: 'ProgressDeadlineExceeded' }), 3);
    assert.deepEqual([r.inProgress, r.deadlineExceeded, r.deadlineMessage], [false, true, 'ReplicaSet "agent-7d9f" has timed out progressing.']);
  });

  it('treats old pods still terminating as an unfinished rollout', () => {
    const d = deployment({ progressing: 'ReplicaSetUpdated' });
    d.status!.replicas = 4;
    assert.deepEqual([readRollout(d, 3).complete, readRollout(d, 3).inProgress], [false, true]);
  });

  it('reads a missing Deployment as nothing running', () => {
    const r = readRollout(undefined, 3);
    assert.deepEqual([r.exists, r.inProgress, r.replicas], [false, false, 0]);
    assert.equal(rolloutHealthy(r, 0), false);
  });

  it('counts zero desired replicas as healthy once no pod is left', () => {
    assert.equal(rolloutHealthy(readRollout(deployment({ replicas: 0 }), 0), 0), true);
  });
});

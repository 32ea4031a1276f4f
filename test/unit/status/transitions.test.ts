import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentStatus } from '../../../src/api/status.ts';
import { computeStatus } from '../../../src/status/compute.ts';
import { statusChanged, transitionEvents } from '../../../src/status/transitions.ts';
import { crash, deployment, statusInput, t0 } from './fixtures.ts';

const healthy = computeStatus(statusInput());
const failing = computeStatus(statusInput({ previous: healthy, now: new Date(t0 + 60_000), workload: deployment({ ready: 2 }), failures: [crash('agent-b')] }));
const starting = computeStatus(statusInput({ workload: deployment({ updated: 0, ready: 0, progressing: 'ReplicaSetUpdated' }) }));

describe('statusChanged', () => {
  it('ignores the order of conditions and absent-vs-undefined fields', () => {
    const reordered: AgentStatus = { ...healthy, conditions: [...healthy.conditions!].reverse(), image: undefined };
    delete (reordered as Record<string, unknown>).image;
    const withUndefined = { ...healthy, lastFailure: undefined };
    assert.equal(statusChanged(healthy, { ...reordered, image: healthy.image }), false);
    assert.equal(statusChanged(healthy, withUndefined), false);
  });

  it('sees any real difference', () => {
    assert.equal(statusChanged(healthy, failing), true);
    assert.equal(statusChanged(healthy, { ...healthy, restarts: 1 }), true);
    assert.equal(statusChanged(undefined, healthy), true);
  });
});

describe('transitionEvents', () => {
  it('warns when the Agent stops being Ready, naming the pod (Degraded=True is the failure event the policy already sent)', () => {
    const events = transitionEvents(healthy, failing);
    assert.deepEqual(events.map((e) => `${e.type} ${e.reason}`), ['Warning CrashLoopBackOff']);
    assert.match(events[0]!.message, /^Ready is False: 2\/3 replicas ready at revision rev2: container agent of pod agent-b keeps exiting/);
  });

  it('announces the recovery as Normal', () => {
    const recovered = computeStatus(statusInput({ previous: failing, now: new Date(t0 + 120_000) }));
    assert.deepEqual(transitionEvents(failing, recovered).map((e) => `${e.type} ${e.reason} ${e.message}`), [
      'Normal Ready Ready is True: 3/3 replicas ready at revision rev2',
      'Normal Healthy Degraded is False: no failure',
    ]);
  });

  it('says nothing about a new Agent that is simply starting up', () => {
    assert.deepEqual(transitionEvents(undefined, starting), []);
  });

  it('announces a new Agent\'s real problem, but not its Ready at once (the condition says when)', () => {
    assert.deepEqual(transitionEvents(undefined, healthy).map((e) => `${e.type} ${e.reason}`), []);
    const held = computeStatus(statusInput({ workload: undefined, dependencies: { state: 'Cycle', cycle: ['a', 'b'] } }));
    assert.deepEqual(transitionEvents(undefined, held).map((e) => `${e.type} ${e.reason}`), [
      'Warning DependencyCycle', 'Warning DependencyCycle', 'Warning DependencyCycle', 'Warning DependencyCycle',
    ], 'Ready, Available, Stalled, DependenciesReady');
  });

  it('announces a rollout starting and finishing as Normal, and a missed deadline as Warning', () => {
    const established: AgentStatus = { ...healthy, lastHealthyRevision: 'rev1' };
    const rolling = computeStatus(statusInput({ previous: established, workload: deployment({ updated: 1, progressing: 'ReplicaSetUpdated' }) }));
    assert.deepEqual(transitionEvents(established, rolling).map((e) => `${e.type} ${e.reason}`), ['Normal RolloutInProgress'], 'Ready says it; Progressing would echo it');
    const done = computeStatus(statusInput({ previous: rolling }));
    assert.deepEqual(transitionEvents(rolling, done).map((e) => `${e.type} ${e.reason}`), ['Normal Ready'], 'Ready names the revision; RolloutComplete would echo it');
    const stuck = computeStatus(statusInput({ previous: rolling, workload: deployment({ updated: 1, progressing: 'ProgressDeadlineExceeded' }) }));
    assert.deepEqual(transitionEvents(rolling, stuck).map((e) => `${e.type} ${e.reason}`), ['Warning ProgressDeadlineExceeded'], 'Stalled; Ready was False already');
  });

  it('says nothing when a new Agent becomes Ready: not Ready, nor Available or RolloutComplete echoing it', () => {
    const ready = computeStatus(statusInput({ previous: starting, now: new Date(t0 + 30_000) }));
    assert.equal(ready.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(transitionEvents(starting, ready).map((e) => `${e.type} ${e.reason}`), []);
  });

  it('announces a new Agent\'s Ready after a failure (the recovery policy announced the failure)', () => {
    const crashing = computeStatus(statusInput({ previous: starting, now: new Date(t0 + 30_000), workload: deployment({ ready: 2 }), failures: [crash('agent-b')] }));
    assert.equal(crashing.conditions?.find((c) => c.type === 'Ready')?.reason, 'CrashLoopBackOff');
    const recovered = computeStatus(statusInput({ previous: crashing, now: new Date(t0 + 60_000) }));
    assert.deepEqual(transitionEvents(crashing, recovered).map((e) => `${e.type} ${e.reason}`), ['Normal Ready', 'Normal Healthy']);
  });

  it('keeps Available\'s own event when Ready does not change with it', () => {
    const c = (type: string, status: string, reason: string) => ({ type, status: status as 'True' | 'False', reason, message: reason, lastTransitionTime: '2026-11-27T10:00:00Z' });
    const before: AgentStatus = { conditions: [c('Ready', 'False', 'DependenciesNotReady'), c('Available', 'False', 'Unavailable')] };
    const after: AgentStatus = { conditions: [c('Ready', 'False', 'DependenciesNotReady'), c('Available', 'True', 'Available')] };
    assert.deepEqual(transitionEvents(before, after).map((e) => `${e.type} ${e.reason}`), ['Normal Available']);
  });

  it('emits nothing when nothing transitions', () => {
    assert.deepEqual(transitionEvents(healthy, computeStatus(statusInput({ previous: healthy }))), []);
  });
});

describe('transitionEvents: what another event already says is not said again', () => {
  const c = (type: string, status: 'True' | 'False', reason: string, message = reason) => ({ type, status, reason, message, lastTransitionTime: '2026-11-27T10:00:00Z' });
  const recovery = { memoryLimit: '356Mi', lastAction: 'IncreaseMemory' as const, lastActionTime: '2026-11-27T10:00:00Z' };
  const ready: AgentStatus = { observedGeneration: 1, lastHealthyRevision: 'r1', conditions: [c('Ready', 'True', 'Ready'), c('Progressing', 'False', 'RolloutComplete')] };
  const killed: AgentStatus = { ...ready, recovery, conditions: [c('Ready', 'False', 'OOMKilled', '1/1 replicas ready at revision r1: container agent of pod p was OOMKilled'), c('Progressing', 'False', 'RolloutComplete')] };
  const raising: AgentStatus = { ...killed, conditions: [killed.conditions![0]!, c('Progressing', 'True', 'RolloutInProgress', 'rolling out revision r2')] };
  const proactive: AgentStatus = { ...ready, recovery, conditions: [c('Ready', 'False', 'RolloutInProgress', 'rolling out revision r2'), c('Progressing', 'True', 'RolloutInProgress', 'rolling out revision r2')] };
  const oomEvent = { type: 'Warning' as const, reason: 'OOMKilled' as const, message: 'container agent of pod p was OOMKilled (exit 137) at limit 256Mi; raised to 356Mi' };
  const raisedEvent = { type: 'Normal' as const, reason: 'MemoryIncreased' as const, message: 'memory limit raised from 256Mi to 356Mi' };
  const cases: { name: string; prev: AgentStatus; next: AgentStatus; said: Parameters<typeof transitionEvents>[2]; events: string[] }[] = [
    { name: 'Ready going False for an OOM kill the policy\'s Warning OOMKilled of the same reconcile names', prev: ready, next: killed, said: { events: [oomEvent, raisedEvent] }, events: [] },
    { name: 'the same transition with no such event is announced', prev: ready, next: killed, said: { events: [raisedEvent] }, events: ['Warning OOMKilled'] },
    { name: 'the same transition, nothing said beside it', prev: ready, next: killed, said: {}, events: ['Warning OOMKilled'] },
    { name: 'Progressing going True for the rollout a memory raise started (MemoryIncreased said it)', prev: killed, next: raising, said: { remedyRolling: true }, events: [] },
    { name: 'the same once the remedy is older than its rollout window', prev: killed, next: raising, said: { remedyRolling: false }, events: ['Normal RolloutInProgress'] },
    { name: 'the same at a new generation (a spec change rolls, not the remedy)', prev: killed, next: { ...raising, observedGeneration: 2 }, said: { remedyRolling: true }, events: ['Normal RolloutInProgress'] },
    { name: 'Ready going False for a proactive raise\'s rollout', prev: ready, next: proactive, said: { remedyRolling: true }, events: [] },
    { name: 'Ready coming back after the raise: the outcome, always announced', prev: raising, next: { ...ready, recovery }, said: { remedyRolling: true }, events: ['Normal Ready'] },
  ];
  for (const x of cases) it(x.name, () => assert.deepEqual(transitionEvents(x.prev, x.next, x.said).map((e) => `${e.type} ${e.reason}`), x.events));
});

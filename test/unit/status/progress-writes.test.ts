import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentStatus, Condition } from '../../../src/api/status.ts';
import { progressWriteDelayMs, progressWriteDue, remedyRolloutLeftMs } from '../../../src/status/progress-writes.ts';

const start = '2026-11-27T10:00:00Z';
const at = (ms: number) => new Date(Date.parse(start) + ms);
const cond = (type: string, status: 'True' | 'False', reason: string, message = reason): Condition => ({ type, status, reason, message, lastTransitionTime: start, observedGeneration: 1 });
const rolling = (o: Partial<AgentStatus> = {}, reconciling = 'Reconciling', message = 'creating the Deployment'): AgentStatus => ({
  observedGeneration: 1, phase: 'Pending', replicas: 0, updatedReplicas: 0, availableReplicas: 0, readyText: '0/1', revision: 'r1',
  conditions: [cond('Ready', 'False', 'RolloutInProgress', message), cond('Reconciling', 'True', reconciling, message)],
  ...o,
});
const moved = rolling({ replicas: 1, updatedReplicas: 1, image: 'agent:1' }, 'RolloutInProgress', 'rolling out revision r1: 1/1 updated, 0/1 available');

describe('progressWriteDue', () => {
  const cases: { name: string; prev: AgentStatus | undefined; next: AgentStatus; now: number; due: number | undefined }[] = [
    { name: 'counters, image and messages of a rollout wait until 10 s after it started', prev: rolling(), next: moved, now: 2_000, due: progressWriteDelayMs - 2_000 },
    { name: 'after those 10 s they are written at once', prev: rolling(), next: moved, now: progressWriteDelayMs, due: undefined },
    { name: 'the READY column is never held back', prev: rolling(), next: { ...moved, readyText: '1/3' }, now: 2_000, due: undefined },
    { name: 'a condition changing status is written at once', prev: rolling(), next: { ...moved, conditions: [cond('Ready', 'False', 'RolloutInProgress'), cond('Reconciling', 'False', 'Reconciled')] }, now: 2_000, due: undefined },
    { name: 'Ready leaving RolloutInProgress is written at once', prev: rolling(), next: { ...moved, conditions: [cond('Ready', 'False', 'CrashLoopBackOff'), cond('Reconciling', 'True', 'RolloutInProgress')] }, now: 2_000, due: undefined },
    { name: 'a failure is written at once', prev: rolling(), next: { ...moved, lastFailure: { reason: 'OOMKilled', message: 'm', time: start, count: 1 } }, now: 2_000, due: undefined },
    { name: 'recovery state is written at once', prev: rolling(), next: { ...moved, recovery: { memoryLimit: '256Mi' } }, now: 2_000, due: undefined },
    { name: 'a new generation is written at once', prev: rolling(), next: { ...moved, observedGeneration: 2 }, now: 2_000, due: undefined },
    { name: 'the first status is written at once', prev: undefined, next: moved, now: 0, due: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(progressWriteDue(c.prev, c.next, at(c.now)), c.due));
});

// A memory raise's rollout (issue 13): the failure and the remedy are written
// (lastFailure, recovery, Ready False OOMKilled, Degraded), then the
// Deployment controller's steps move only counters, the READY column and
// reasons until Ready comes back.
const raisedAt = start;
const recovery = { generation: 1, memoryLimit: '356Mi', lastAction: 'IncreaseMemory' as const, lastActionTime: raisedAt };
const oomText = '1/1 replicas ready at revision r2: container agent of pod fwd-old was OOMKilled (exit 137) at limit 256Mi';
const raising = (o: Partial<AgentStatus> = {}, ready = cond('Ready', 'False', 'OOMKilled', oomText), degraded = cond('Degraded', 'True', 'OOMKilled', 'OOMKilled')): AgentStatus => ({
  observedGeneration: 1, phase: 'Degraded', replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1, readyText: '1/1', restarts: 1, revision: 'r2',
  lastFailure: { reason: 'OOMKilled', message: 'm', time: raisedAt, count: 1 }, recovery,
  conditions: [ready, degraded, cond('Reconciling', 'True', 'RolloutInProgress', 'rolling out revision r2: 1/1 updated, 1/1 available')],
  ...o,
});
const surged = raising({ replicas: 2, readyReplicas: 2, availableReplicas: 2, readyText: '2/1', restarts: 0 },
  cond('Ready', 'False', 'RolloutInProgress', 'rolling out revision r2: 1/1 updated, 2/1 available'), cond('Degraded', 'True', 'MemoryIncreased', 'memory limit is 356Mi'));

describe('progressWriteDue: the rollout a remedy started', () => {
  const cases: { name: string; prev: AgentStatus | undefined; next: AgentStatus; now: number; due: number | undefined }[] = [
    { name: 'the raised pod surging in (counters, READY 2/1, restarts, reasons) waits until 10 s after the raise', prev: raising(), next: surged, now: 1_500, due: progressWriteDelayMs - 1_500 },
    { name: 'after those 10 s it is written at once', prev: raising(), next: surged, now: progressWriteDelayMs, due: undefined },
    { name: 'Ready going True is written at once', prev: raising(), next: { ...surged, conditions: [cond('Ready', 'True', 'Ready'), cond('Degraded', 'True', 'MemoryIncreased'), cond('Reconciling', 'False', 'Reconciled')] }, now: 1_500, due: undefined },
    { name: 'a condition changing status (Reconciling going True as the raise is applied) is written at once', prev: { ...raising(), conditions: [cond('Ready', 'False', 'OOMKilled', oomText), cond('Degraded', 'True', 'OOMKilled', 'OOMKilled'), cond('Reconciling', 'False', 'Reconciled')] }, next: raising(), now: 500, due: undefined },
    { name: 'the revision the Deployment now carries is written at once', prev: raising({ revision: 'r1' }), next: raising(), now: 500, due: undefined },
    { name: 'the next failure is written at once', prev: raising(), next: { ...surged, lastFailure: { reason: 'OOMKilled', message: 'again', time: raisedAt, count: 2 } }, now: 1_500, due: undefined },
    { name: 'the next remedy is written at once', prev: raising(), next: { ...surged, recovery: { ...recovery, memoryLimit: '456Mi' } }, now: 1_500, due: undefined },
    { name: 'a phase change is written at once', prev: raising(), next: { ...surged, phase: 'Failed' }, now: 1_500, due: undefined },
    { name: 'a restart remedy rolls nothing: written at once', prev: raising({ recovery: { ...recovery, lastAction: 'RestartPod' } }), next: { ...surged, recovery: { ...recovery, lastAction: 'RestartPod' } }, now: 1_500, due: undefined },
    { name: 'a rollback rolls too', prev: raising({ recovery: { ...recovery, lastAction: 'Rollback' } }), next: { ...surged, recovery: { ...recovery, lastAction: 'Rollback' } }, now: 1_500, due: progressWriteDelayMs - 1_500 },
    { name: 'with no previous status, written at once', prev: undefined, next: surged, now: 1_500, due: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(progressWriteDue(c.prev, c.next, at(c.now)), c.due));

  it('remedyRolloutLeftMs: a rolling remedy taken less than 10 s ago, else undefined', () => {
    assert.equal(remedyRolloutLeftMs(raising(), at(4_000)), progressWriteDelayMs - 4_000);
    assert.equal(remedyRolloutLeftMs(raising(), at(progressWriteDelayMs)), undefined);
    assert.equal(remedyRolloutLeftMs(raising({ recovery: { ...recovery, lastAction: 'Hold' } }), at(1_000)), undefined);
    assert.equal(remedyRolloutLeftMs(raising({ recovery: { generation: 1 } }), at(1_000)), undefined);
    assert.equal(remedyRolloutLeftMs(undefined, at(1_000)), undefined);
  });
});

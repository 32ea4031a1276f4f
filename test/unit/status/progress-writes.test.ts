import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentStatus, Condition } from '../../../src/api/status.ts';
import { progressWriteDelayMs, progressWriteDue } from '../../../src/status/progress-writes.ts';

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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecoveryStatus } from '../../../src/api/status.ts';
import type { Failure } from '../../../src/health/failure.ts';
import { readManualRequests, type ManualRequests } from '../../../src/recovery/manual.ts';
import type { Decision } from '../../../src/recovery/decision.ts';
import { decide, type DecideInput } from '../../../src/recovery/policy.ts';
import type { RecoveryPolicy } from '../../../src/recovery/steps.ts';

const t0 = Date.UTC(2026, 10, 27, 11, 0, 0);
const iso = (s: number) => new Date(t0 + s * 1000).toISOString().replace('.000Z', 'Z');
const policy: RecoveryPolicy = {
  restart: { initialBackoffSeconds: 10, maxBackoffSeconds: 300, maxAttempts: 3, windowSeconds: 3600, healthyResetSeconds: 600 },
  oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi', proactive: false },
  onExhausted: 'Hold',
};
const crash = (pod: string, restarts: number): Failure => ({
  reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/uid-${pod}/agent/r${restarts}`, active: true, pod, podUid: `uid-${pod}`, container: 'agent',
  containerState: 'waiting', restartCount: restarts, exitCode: 1, message: 'back-off restarting after Error (exit code 1)', revision: 'rev2',
});

function run(at: number, previous: RecoveryStatus | undefined, annotations: Record<string, string>, o: Partial<DecideInput> = {}): Decision {
  return decide({
    policy, generation: 3, previous, failures: [crash('a', 5)], now: new Date(t0 + at * 1000), healthy: false, unmanaged: false,
    specMemoryLimit: '256Mi', revision: 'rev2', lastHealthyRevision: 'rev1', rolloutInProgress: false,
    manual: { requests: readManualRequests(annotations), available: ['rev1', 'rev2', 'rev0'] }, ...o,
  });
}
const held: RecoveryStatus = { generation: 3, lastAction: 'Hold', lastActionTime: iso(0), restartAttempts: 3, windowStart: iso(-300) };
const summary = (d: Decision) => ({ action: d.action.type, to: d.recovery.rolledBackTo, last: d.recovery.lastAction, events: d.events.filter((e) => e.reason !== 'CrashLoopBackOff').map((e) => e.reason) });

describe('readManualRequests', () => {
  it('reads hold by presence, resume and rollback from key=value words, and names the annotation and the fix when one cannot be read', () => {
    const cases: [Record<string, string>, ManualRequests][] = [
      [{}, { hold: false }],
      [{ 'agent-operator.dev/hold': '' }, { hold: true }],
      [{ 'agent-operator.dev/resume': `at=${iso(5)}` }, { hold: false, resumeAt: t0 + 5000 }],
      [{ 'agent-operator.dev/rollback': `to=rev1 generation=3 at=${iso(5)}` }, { hold: false, rollback: { to: 'rev1', generation: 3, at: t0 + 5000 } }],
    ];
    for (const [annotations, want] of cases) assert.deepEqual(readManualRequests(annotations), want, JSON.stringify(annotations));
    assert.match(readManualRequests({ 'agent-operator.dev/rollback': 'rev1' }).invalid ?? '', /agent-operator.dev\/rollback is "rev1": expected to=<revision> generation=/);
    assert.match(readManualRequests({ 'agent-operator.dev/resume': 'now' }).invalid ?? '', /expected at=<RFC3339 time>/);
  });
});

describe('manual requests in the recovery policy', () => {
  const cases: { name: string; at: number; previous?: RecoveryStatus; annotations: Record<string, string>; o?: Partial<DecideInput>; want: ReturnType<typeof summary> }[] = [
    {
      name: 'a hold stops remediation: a pod whose step is due is not restarted',
      at: 100, previous: { generation: 3, nextRestartNotBefore: iso(50), lastAction: 'RestartPod', lastActionTime: iso(40), restartAttempts: 1 },
      annotations: { 'agent-operator.dev/hold': 'by=alice' }, want: { action: 'None', to: undefined, last: 'RestartPod', events: [] },
    },
    {
      name: 'without the hold the same pod is restarted',
      at: 100, previous: { generation: 3, nextRestartNotBefore: iso(50), lastAction: 'RestartPod', lastActionTime: iso(40), restartAttempts: 1 },
      annotations: {}, want: { action: 'RestartPod', to: undefined, last: 'RestartPod', events: ['RestartedPod'] },
    },
    {
      name: 'a resume newer than the operator\'s hold lifts it and the restart schedule starts over',
      at: 100, previous: held, annotations: { 'agent-operator.dev/resume': `at=${iso(60)}` }, want: { action: 'None', to: undefined, last: undefined, events: ['RecoveryCleared'] },
    },
    {
      name: 'a resume older than the hold (the operator held again since) changes nothing',
      at: 100, previous: held, annotations: { 'agent-operator.dev/resume': `at=${iso(-60)}` }, want: { action: 'Hold', to: undefined, last: 'Hold', events: [] },
    },
    {
      name: 'a rollback request runs the named revision',
      at: 100, previous: held, annotations: { 'agent-operator.dev/rollback': `to=rev0 generation=3 at=${iso(60)}` }, want: { action: 'Rollback', to: 'rev0', last: 'Rollback', events: ['RolledBack'] },
    },
    {
      name: 'a rollback request already carried out is not repeated',
      at: 200, previous: { generation: 3, lastAction: 'Rollback', lastActionTime: iso(100), rolledBackFrom: 'rev2', rolledBackTo: 'rev0' },
      annotations: { 'agent-operator.dev/rollback': `to=rev0 generation=3 at=${iso(60)}` }, want: { action: 'None', to: 'rev0', last: 'Rollback', events: [] },
    },
    {
      name: 'a rollback request for an earlier generation is retired by the spec change',
      at: 100, previous: undefined, annotations: { 'agent-operator.dev/rollback': `to=rev0 generation=2 at=${iso(60)}` }, want: { action: 'None', to: undefined, last: undefined, events: [] },
    },
    {
      name: 'a rollback to a revision no ReplicaSet has is refused with an event, and nothing else changes',
      at: 100, previous: held, annotations: { 'agent-operator.dev/rollback': `to=rev9 generation=3 at=${iso(60)}` }, want: { action: 'Hold', to: undefined, last: 'Hold', events: ['RequestRefused'] },
    },
    {
      name: 'a rollback to the spec\'s own revision ends a rollback in force',
      at: 200, previous: { generation: 3, lastAction: 'Rollback', lastActionTime: iso(100), rolledBackFrom: 'rev2', rolledBackTo: 'rev1' },
      annotations: { 'agent-operator.dev/rollback': `to=rev2 generation=3 at=${iso(150)}` }, want: { action: 'None', to: undefined, last: 'None', events: ['RecoveryCleared'] },
    },
    {
      // Found by the kubectl-plugin e2e on a quiet machine: the second request came within the second of the first's rollback.
      name: 'a request made in the same second as the last action is carried out (whole-second times cannot order them)',
      at: 101, previous: { generation: 3, lastAction: 'Rollback', lastActionTime: iso(100), rolledBackFrom: 'rev2', rolledBackTo: 'rev1' },
      annotations: { 'agent-operator.dev/rollback': `to=rev2 generation=3 at=${iso(100)}` }, want: { action: 'None', to: undefined, last: 'None', events: ['RecoveryCleared'] },
    },
    {
      name: 'a resume in the same second as the hold lifts it',
      at: 100, previous: held, annotations: { 'agent-operator.dev/resume': `at=${iso(0)}` }, want: { action: 'None', to: undefined, last: undefined, events: ['RecoveryCleared'] },
    },
    {
      name: 'an unreadable request is refused with an event naming the fix',
      at: 100, previous: held, annotations: { 'agent-operator.dev/rollback': 'rev1' }, want: { action: 'Hold', to: undefined, last: 'Hold', events: ['RequestRefused'] },
    },
    {
      name: 'Unmanaged wins over every request',
      at: 100, previous: held, annotations: { 'agent-operator.dev/rollback': `to=rev0 generation=3 at=${iso(60)}` }, o: { unmanaged: true }, want: { action: 'None', to: undefined, last: 'Hold', events: [] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(summary(run(c.at, c.previous, c.annotations, c.o)), c.want));
  }

  it('a request survives an operator restart before it is carried out and is carried out once', () => {
    const annotations = { 'agent-operator.dev/rollback': `to=rev0 generation=3 at=${iso(60)}` };
    const first = run(100, JSON.parse(JSON.stringify(held)) as RecoveryStatus, annotations);
    assert.equal(first.action.type, 'Rollback');
    const again = run(130, JSON.parse(JSON.stringify(first.recovery)) as RecoveryStatus, annotations);
    assert.equal(again.action.type, 'None');
    assert.equal(again.recovery.rolledBackTo, 'rev0');
  });
});

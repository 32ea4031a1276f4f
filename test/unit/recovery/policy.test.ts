import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecoveryStatus } from '../../../src/api/status.ts';
import type { Failure } from '../../../src/health/failure.ts';
import type { Decision } from '../../../src/recovery/decision.ts';
import { decide, type DecideInput } from '../../../src/recovery/policy.ts';
import type { RecoveryPolicy } from '../../../src/recovery/steps.ts';

const t0 = Date.UTC(2026, 10, 27, 11, 0, 0);
const iso = (s: number) => new Date(t0 + s * 1000).toISOString().replace('.000Z', 'Z');

const basePolicy: RecoveryPolicy = {
  restart: { initialBackoffSeconds: 10, maxBackoffSeconds: 300, maxAttempts: 3, windowSeconds: 3600, healthyResetSeconds: 600 },
  oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi', proactive: false },
  onExhausted: 'Rollback',
};

const crash = (pod: string, restarts: number, o: Partial<Failure> = {}): Failure => ({
  reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/uid-${pod}/agent/r${restarts}`, active: true, pod, podUid: `uid-${pod}`, container: 'agent',
  containerState: 'waiting', restartCount: restarts, exitCode: 1, message: 'back-off restarting after Error (exit code 1)', ...o,
});
const oom = (pod: string, n: number, limit: string, o: Partial<Failure> = {}): Failure => ({
  reason: 'OOMKilled', key: `OOMKilled/uid-${pod}/agent/r${n}`, active: true, pod, podUid: `uid-${pod}`, container: 'agent',
  containerState: 'waiting', restartCount: n, exitCode: 137, memoryLimit: limit, message: 'OOMKilled (exit code 137)', ...o,
});
const pullFailure = (pod: string): Failure => ({
  reason: 'ErrImagePull', key: `ImagePull/uid-${pod}/agent`, active: true, pod, podUid: `uid-${pod}`, container: 'agent',
  containerState: 'waiting', image: 'registry.example/agent:v9', message: 'ErrImagePull: not found',
});

/**
 * Runs decide() as the reconciler would: the recovery status it returns is
 * what the next call reads (optionally through a JSON round trip, as after an
 * operator restart that reads it back from the apiserver).
 */
class Agent {
  recovery: RecoveryStatus | undefined;
  readonly log: Decision[] = [];
  readonly input: Partial<DecideInput>;
  constructor(input: Partial<DecideInput> = {}) {
    this.input = input;
  }

  at(seconds: number, failures: Failure[], o: Partial<DecideInput> = {}): Decision {
    const d = decide({
      policy: basePolicy, generation: 1, previous: this.recovery, failures, now: new Date(t0 + seconds * 1000),
      healthy: failures.every((f) => !f.active), unmanaged: false, specMemoryLimit: '256Mi', revision: 'rev2', lastHealthyRevision: 'rev1',
      rolloutInProgress: false, ...this.input, ...o,
    });
    this.recovery = d.recovery;
    this.log.push(d);
    return d;
  }

  /** The operator restarts: the next call reads status as the apiserver returns it. */
  restartOperator(): void {
    this.recovery = JSON.parse(JSON.stringify(this.recovery));
  }
}

const actionOf = (d: Decision) => d.action.type === 'None' ? 'None' : JSON.stringify(d.action);
const reasons = (d: Decision) => d.events.map((e) => `${e.type}/${e.reason}`);

describe('decide: restart with backoff, then onExhausted', () => {
  it('waits one step before the first restart, then restarts at 10 s, 30 s, 70 s and rolls back on the fourth attempt', () => {
    const a = new Agent();
    const steps: [number, string][] = [];
    const seq: [number, number][] = [[0, 1], [9, 1], [10, 1], [29, 2], [30, 2], [69, 3], [70, 3], [149, 4], [150, 4]];
    for (const [s, restarts] of seq) steps.push([s, actionOf(a.at(s, [crash('a', restarts)]))]);
    assert.deepEqual(steps, [
      [0, 'None'], [9, 'None'],
      [10, '{"type":"RestartPod","pod":"a","podUid":"uid-a"}'], [29, 'None'],
      [30, '{"type":"RestartPod","pod":"a","podUid":"uid-a"}'], [69, 'None'],
      [70, '{"type":"RestartPod","pod":"a","podUid":"uid-a"}'], [149, 'None'],
      [150, '{"type":"Rollback","from":"rev2","to":"rev1"}'],
    ]);
    assert.equal(a.log[0]!.requeueAfterMs, 10_000);
    assert.equal(a.log[2]!.requeueAfterMs, 20_000, 'the next step doubles');
    assert.deepEqual(a.recovery, {
      generation: 1, lastAction: 'Rollback', lastActionTime: iso(150), rolledBackFrom: 'rev2', rolledBackTo: 'rev1',
      podDeletions: [iso(10), iso(30), iso(70)],
      seenFailures: ['uid-a/agent@4:CrashLoopBackOff'],
    });
    assert.equal(a.log.at(-1)!.recovery.rolledBackTo, 'rev1');
    assert.match(a.log.at(-1)!.events.find((e) => e.reason === 'RolledBack')!.message,
      /^revision rev2 kept failing \(a \(CrashLoopBackOff\)\); now running revision rev1, the last healthy one, while the spec stays as written: fix the spec and apply it, which clears the rollback$/);
  });

  it('rolls a revision never recorded healthy back at the first step instead of restarting its pods', () => {
    const a = new Agent();
    const bad = (n: number) => crash('a', n, { revision: 'rev2' });
    assert.equal(a.at(0, [bad(0)]).action.type, 'None', 'the kubelet gets its first retry');
    assert.deepEqual(a.at(10, [bad(1)]).action, { type: 'Rollback', from: 'rev2', to: 'rev1' });
    assert.equal(a.recovery!.restartAttempts, undefined, 'no pod of it was deleted');
  });

  it("rolls a failed release back as soon as the kubelet's retry of it failed too, not after the first step's wait", () => {
    // make chaos (issue 12): waiting out the 10 s step made every bad release's MTTR 16-17 s; the kubelet's own
    // retry has already been spent once its container waits in CrashLoopBackOff after a restart
    const a = new Agent();
    assert.equal(a.at(0, [crash('a', 0, { revision: 'rev2', containerState: 'running' })]).action.type, 'None', 'the first death: the kubelet retries');
    assert.equal(a.at(1, [crash('a', 1, { revision: 'rev2', containerState: 'running' })]).action.type, 'None', 'its retry is running');
    assert.deepEqual(a.at(3, [crash('a', 1, { revision: 'rev2' })]).action, { type: 'Rollback', from: 'rev2', to: 'rev1' });
    assert.equal(a.recovery!.restartAttempts, undefined, 'no pod of it was deleted');
    // a proven revision keeps its restart schedule: the kubelet gets the whole first step
    const b = new Agent({ lastHealthyRevision: 'rev2' });
    assert.equal(b.at(0, [crash('a', 1)]).action.type, 'None');
    assert.equal(b.at(3, [crash('a', 1)]).action.type, 'None');
    // an image that cannot be pulled has no kubelet retry spent yet: the step waits as before
    const c = new Agent();
    assert.equal(c.at(3, [{ ...pullFailure('a'), revision: 'rev2' }]).action.type, 'None');
  });

  it("rolls a failed release back when its retried container has died, before the kubelet reports the back-off", () => {
    // the real node (issue 12): a kubelet writes the dead retry as terminated (restartCount 1) and turns it into
    // waiting/CrashLoopBackOff only at its next pod sync, up to 10 s later; make chaos's bad release waited out the step
    const a = new Agent();
    assert.equal(a.at(0, [crash('a', 0, { revision: 'rev2', containerState: 'terminated' })]).action.type, 'None', 'the first death: the kubelet retries at once');
    assert.equal(a.at(1, [crash('a', 1, { revision: 'rev2', containerState: 'running' })]).action.type, 'None', 'its retry is running');
    assert.deepEqual(a.at(3, [crash('a', 1, { revision: 'rev2', containerState: 'terminated' })]).action, { type: 'Rollback', from: 'rev2', to: 'rev1' });
    // a proven revision's dead retry still gets the whole first step
    const b = new Agent({ lastHealthyRevision: 'rev2' });
    assert.equal(b.at(0, [crash('a', 0, { containerState: 'terminated' })]).action.type, 'None');
    assert.equal(b.at(3, [crash('a', 1, { containerState: 'terminated' })]).action.type, 'None');
  });

  it('restarts a new revision on the schedule when onExhausted is Hold (there is nothing to roll back to by policy)', () => {
    const a = new Agent({ policy: { ...basePolicy, onExhausted: 'Hold' } });
    a.at(0, [crash('a', 1, { revision: 'rev2' })]);
    assert.deepEqual(a.at(10, [crash('a', 1, { revision: 'rev2' })]).action, { type: 'RestartPod', pod: 'a', podUid: 'uid-a' });
  });

  it('restarts a pod failing readiness at once: its probe window was the wait, and the kubelet never retries it', () => {
    const a = new Agent();
    const unready = (pod: string): Failure => ({
      reason: 'ProbeFailure', key: `ProbeFailure/uid-${pod}/agent/r0`, active: true, pod, podUid: `uid-${pod}`, container: 'agent',
      containerState: 'running', restartCount: 0, message: 'not ready for 4 s',
    });
    assert.deepEqual(a.at(0, [unready('a')]).action, { type: 'RestartPod', pod: 'a', podUid: 'uid-a' });
    // the next steps keep the backoff: 10 s x 2 after the first attempt
    assert.equal(a.at(19, [unready('b')]).action.type, 'None');
    assert.deepEqual(a.at(20, [unready('b')]).action, { type: 'RestartPod', pod: 'b', podUid: 'uid-b' });
    // a crash next to it: the kubelet retries that one first, so the first step waits
    const b = new Agent();
    assert.equal(b.at(0, [unready('a'), crash('c', 1)]).action.type, 'None');
  });

  it('caps the backoff at maxBackoffSeconds', () => {
    const a = new Agent({ policy: { ...basePolicy, restart: { ...basePolicy.restart, initialBackoffSeconds: 100, maxBackoffSeconds: 150 } } });
    a.at(0, [crash('a', 1)]);
    a.at(100, [crash('a', 1)]);
    assert.equal(a.recovery!.nextRestartNotBefore, iso(250), '100 x 2 capped at 150');
  });

  it('holds when no revision has been healthy yet, and keeps holding without new events', () => {
    const a = new Agent({ lastHealthyRevision: undefined });
    for (const s of [0, 10, 30, 70]) a.at(s, [crash('a', 1)]);
    const hold = a.at(150, [crash('a', 1)]);
    assert.equal(hold.action.type, 'Hold');
    assert.deepEqual(reasons(hold), ['Warning/RecoveryExhausted']);
    assert.match(hold.events[0]!.message, /no revision has been healthy yet to roll back to, so the operator holds/);
    const again = a.at(500, [crash('a', 1)]);
    assert.equal(again.action.type, 'Hold');
    assert.deepEqual(again.events, []);
    assert.equal(a.at(5000, [crash('a', 1)]).action.type, 'Hold', 'a hold outlives the window');
  });

  it('holds when the last healthy revision is the one failing', () => {
    const a = new Agent({ lastHealthyRevision: 'rev2' });
    for (const s of [0, 10, 30, 70]) a.at(s, [crash('a', 1)]);
    const d = a.at(150, [crash('a', 1)]);
    assert.equal(d.action.type, 'Hold');
    assert.match(d.events[0]!.message, /the last healthy revision rev2 is the one failing/);
  });

  it('holds when onExhausted is Hold even with a healthy revision to go back to', () => {
    const a = new Agent({ policy: { ...basePolicy, onExhausted: 'Hold' } });
    for (const s of [0, 10, 30, 70]) a.at(s, [crash('a', 1)]);
    assert.equal(a.at(150, [crash('a', 1)]).action.type, 'Hold');
  });

  it('with maxAttempts 0 goes to onExhausted at the first step', () => {
    const a = new Agent({ policy: { ...basePolicy, restart: { ...basePolicy.restart, maxAttempts: 0 } } });
    a.at(0, [crash('a', 1)]);
    assert.equal(a.at(10, [crash('a', 1)]).action.type, 'Rollback');
  });

  it('does not repeat a step after an operator restart mid-schedule, nor forget it', () => {
    const a = new Agent();
    a.at(0, [crash('a', 1)]);
    assert.equal(a.at(10, [crash('a', 1)]).action.type, 'RestartPod');
    a.restartOperator();
    const after = a.at(12, [crash('b', 1)]);
    assert.equal(after.action.type, 'None', 'the next step is at 30 s, not now');
    assert.equal(after.requeueAfterMs, 18_000);
    a.restartOperator();
    const reread = a.at(13, [crash('b', 1)]);
    assert.deepEqual(reread.events, [], 'the same failure read again is not reported again');
    const next = a.at(30, [crash('b', 2)]);
    assert.deepEqual(next.action, { type: 'RestartPod', pod: 'b', podUid: 'uid-b' });
    assert.equal(next.recovery.restartAttempts, 2, 'it is the second attempt, not the first again');
  });

  it('resets attempts after the Agent has been healthy for healthyResetSeconds', () => {
    const a = new Agent();
    for (const s of [0, 10, 30]) a.at(s, [crash('a', 1)]);
    assert.equal(a.recovery!.restartAttempts, 2);
    const healthy = a.at(100, []);
    assert.equal(healthy.requeueAfterMs, 600_000, 'come back when the reset is due');
    assert.equal(a.at(699, []).recovery.restartAttempts, 2);
    const reset = a.at(700, []);
    assert.equal(reset.recovery.restartAttempts, undefined);
    assert.equal(reset.recovery.nextRestartNotBefore, undefined);
    assert.deepEqual(reasons(reset), ['Normal/Healthy']);
    assert.equal(a.at(701, []).requeueAfterMs, undefined, 'nothing left to reset: converged');
    a.at(800, [crash('a', 9)]);
    assert.equal(a.recovery!.nextRestartNotBefore, iso(810), 'a new failure starts at the initial backoff again');
  });

  it('keeps the attempts when the Agent is healthy for less than healthyResetSeconds', () => {
    const a = new Agent();
    for (const s of [0, 10]) a.at(s, [crash('a', 1)]);
    a.at(50, []);
    assert.equal(a.at(400, [crash('a', 2)]).action.type, 'None', 'after a long healthy stretch the kubelet gets its retry first');
    assert.equal(a.recovery!.nextRestartNotBefore, iso(420), 'the step after one attempt: 20 s');
    a.at(1000, []);
    assert.equal(a.recovery!.restartAttempts, 1);
    assert.equal(a.recovery!.healthySince, iso(1000), 'the healthy period starts again after each failure');
  });

  it('does not count health it did not see: after a gap, the pods decide when the healthy stretch began', () => {
    const policy = { ...basePolicy, restart: { ...basePolicy.restart, healthyResetSeconds: 10 } };
    const a = new Agent({ policy });
    for (const s of [0, 10]) a.at(s, [crash('a', 1)]);
    assert.equal(a.recovery!.restartAttempts, 1);
    a.at(12, []); // a ready moment between crashes; then the operator is gone for 20 s
    a.restartOperator();
    const back = a.at(32, [], { readySince: iso(31) });
    assert.equal(back.recovery.restartAttempts, 1, 'the pod restarted at 31 s: not 20 s healthy');
    assert.equal(back.recovery.healthySince, iso(31));
    assert.deepEqual(reasons(back), []);
    assert.equal(back.requeueAfterMs, 9000, 'the reset is due 10 s after the pods came up');
    assert.equal(a.at(42, [], { readySince: iso(31) }).recovery.restartAttempts, undefined, 'then it resets as usual');
    const unseen = new Agent({ policy });
    for (const s of [0, 10]) unseen.at(s, [crash('a', 1)]);
    unseen.at(12, []);
    assert.equal(unseen.at(32, []).recovery.restartAttempts, undefined, 'without readySince the policy can only go by what it saw');
  });

  it('keeps its step across a gap when the failing container ran only briefly since the recorded healthy moment', () => {
    const a = new Agent();
    a.at(0, [crash('a', 1)]);
    a.at(8, []); // a ready moment between crashes; then the operator is gone for 30 s
    a.restartOperator();
    const back = a.at(38, [crash('a', 5, { ranSince: iso(36), since: iso(37) })]);
    assert.equal(back.action.type, 'RestartPod', 'up 1 s, not 30 s: the step due at 10 s is taken now');
    const seen = new Agent();
    seen.at(0, [crash('a', 1)]);
    seen.at(8, []);
    seen.at(38, [crash('a', 5, { ranSince: iso(8), since: iso(37) })]);
    assert.equal(seen.log.at(-1)!.action.type, 'None', 'up 29 s since the healthy moment: a new episode, the kubelet retries first');
    assert.equal(seen.recovery!.nextRestartNotBefore, iso(48));
  });

  it('keeps its step through the moments a crash-looping container is ready between crashes', () => {
    const a = new Agent();
    a.at(0, [crash('a', 1)]);
    a.at(8, []);
    a.at(12, [crash('a', 2)]);
    assert.equal(a.log.at(-1)!.action.type, 'RestartPod', 'the step was due at 10 s; a 4 s blip does not push it back');
  });

  it('starts counting attempts again once the window is over', () => {
    const a = new Agent({ policy: { ...basePolicy, restart: { ...basePolicy.restart, windowSeconds: 60 } } });
    for (const s of [0, 10, 30]) a.at(s, [crash('a', 1)]);
    assert.equal(a.at(70, [crash('a', 1)]).recovery.restartAttempts, 1, 'the window began at 10 s, so at 70 s this is the first attempt of a new one');
  });

  it('restarts only one pod per step, the longest failing first', () => {
    const a = new Agent();
    a.at(0, [crash('b', 1, { since: iso(-5) }), crash('a', 1, { since: iso(-1) })]);
    const d = a.at(10, [crash('b', 1, { since: iso(-5) }), crash('a', 1, { since: iso(-1) })]);
    assert.deepEqual(d.action, { type: 'RestartPod', pod: 'b', podUid: 'uid-b' });
  });
});

describe('decide: OOM kills with IncreaseMemory', () => {
  it('raises 256Mi -> 356Mi -> 456Mi -> 512Mi and stops at the max', () => {
    const a = new Agent();
    const limits: string[] = [];
    let limit = '256Mi';
    for (let n = 1; n <= 4; n++) {
      const d = a.at(n * 60, [oom('a', n, limit)]);
      limit = d.recovery.memoryLimit ?? limit;
      limits.push(`${actionOf(d)} ${limit}`);
    }
    assert.deepEqual(limits, [
      '{"type":"IncreaseMemory","from":"256Mi","to":"356Mi"} 356Mi',
      '{"type":"IncreaseMemory","from":"356Mi","to":"456Mi"} 456Mi',
      '{"type":"IncreaseMemory","from":"456Mi","to":"512Mi"} 512Mi',
      'None 512Mi',
    ]);
    assert.equal(a.log[0]!.events[0]!.message, 'container agent of pod a was OOMKilled (exit 137) at limit 256Mi; raised to 356Mi (recovery.oomKilled, max 512Mi)');
    assert.deepEqual(reasons(a.log[0]!), ['Warning/OOMKilled', 'Normal/MemoryIncreased']);
    assert.deepEqual(a.log[3]!.events, [{
      type: 'Warning', reason: 'OOMKilled',
      message: 'container agent of pod a was OOMKilled (exit 137) at limit 512Mi, which is recovery.oomKilled.maxMemory, so restarts follow recovery.restart and then onExhausted: raise maxMemory or make the agent use less memory',
    }]);
  });

  it('at the max, follows the restart schedule instead of spending an attempt per kernel kill', () => {
    const a = new Agent({ specMemoryLimit: '512Mi' });
    // The kubelet restarts an OOM-killed container fast at first: three kills in 7 s.
    const kills = [[0, 1, 'terminated'], [3, 2, 'waiting'], [7, 3, 'terminated']] as const;
    for (const [s, n, state] of kills) assert.equal(a.at(s, [oom('a', n, '512Mi', { containerState: state })]).action.type, 'None', `kill ${n}`);
    assert.equal(a.recovery!.restartAttempts, undefined, 'no attempt spent on the kills themselves');
    const steps = [[10, 3], [30, 4], [70, 5], [150, 6]].map(([s, n]) => actionOf(a.at(s!, [oom('a', n!, '512Mi')])));
    assert.deepEqual(steps, [
      '{"type":"RestartPod","pod":"a","podUid":"uid-a"}', '{"type":"RestartPod","pod":"a","podUid":"uid-a"}', '{"type":"RestartPod","pod":"a","podUid":"uid-a"}',
      '{"type":"Rollback","from":"rev2","to":"rev1"}',
    ]);
    assert.equal(a.recovery!.memoryLimit, undefined, 'nothing was raised: the spec\'s limit is the max');
  });

  it('raises by 20 % once that is more than 100Mi', () => {
    const a = new Agent({ specMemoryLimit: '1Gi', policy: { ...basePolicy, oomKilled: { action: 'IncreaseMemory', maxMemory: '4Gi', proactive: false } } });
    assert.deepEqual(a.at(0, [oom('a', 1, '1Gi')]).action, { type: 'IncreaseMemory', from: '1Gi', to: '1229Mi' });
  });

  it('does not raise again for a pod still running the old limit', () => {
    const a = new Agent();
    a.at(0, [oom('a', 1, '256Mi')]);
    const d = a.at(5, [oom('a', 2, '256Mi')]);
    assert.equal(d.action.type, 'None');
    assert.equal(d.recovery.memoryLimit, '356Mi');
    assert.match(d.events[0]!.message, /the limit is already raised to 356Mi/);
  });

  it('raises once for several pods killed at the same limit at once', () => {
    const d = new Agent().at(0, [oom('a', 1, '256Mi'), oom('b', 1, '256Mi')]);
    assert.deepEqual(d.action, { type: 'IncreaseMemory', from: '256Mi', to: '356Mi' });
    assert.deepEqual(reasons(d), ['Warning/OOMKilled', 'Warning/OOMKilled', 'Normal/MemoryIncreased']);
  });

  it('raises during a rollout (the rollout cannot succeed at the old limit), but restarts nothing then', () => {
    const a = new Agent({ rolloutInProgress: true });
    assert.equal(a.at(0, [oom('a', 1, '256Mi'), crash('b', 1)]).action.type, 'IncreaseMemory', 'one action per call, and the raise goes first');
    assert.equal(a.at(100, [crash('b', 1)]).action.type, 'None');
    assert.equal(a.recovery!.nextRestartNotBefore, undefined, 'no schedule is started during a rollout');
  });

  it('with action None treats an OOM-looping container like any crash loop', () => {
    const a = new Agent({ policy: { ...basePolicy, oomKilled: { action: 'None', maxMemory: '512Mi', proactive: false } } });
    assert.equal(a.at(0, [oom('a', 1, '256Mi')]).action.type, 'None');
    assert.deepEqual(a.at(10, [oom('a', 1, '256Mi')]).action, { type: 'RestartPod', pod: 'a', podUid: 'uid-a' });
    assert.equal(a.at(30, [oom('a', 2, '256Mi', { containerState: 'running' })]).action.type, 'None', 'a container mid-retry is the kubelet\'s');
  });
});

describe('decide: what clears, and when nothing is done', () => {
  it('a new spec generation clears the override, the rollback and the attempts, and says so', () => {
    const a = new Agent();
    a.at(0, [oom('a', 1, '256Mi')]);
    const d = a.at(60, [], { generation: 2, rolloutInProgress: true, healthy: false });
    assert.equal(d.recovery.memoryLimit, undefined, 'the spec\'s limit again');
    assert.deepEqual(d.recovery, { generation: 2, seenFailures: ['uid-a/agent@1:OOMKilled'] }, 'counted failures stay counted');
    assert.deepEqual(d.events, [{ type: 'Normal', reason: 'RecoveryCleared', message: 'spec generation 2 cleared memory override 356Mi: running the spec as written' }]);
  });

  it('a new revision without a new generation (a rotated Secret) ends a rollback', () => {
    const a = new Agent({ policy: { ...basePolicy, restart: { ...basePolicy.restart, maxAttempts: 0 } } });
    a.at(0, [crash('a', 1)]);
    assert.equal(a.at(10, [crash('a', 1)]).action.type, 'Rollback');
    const d = a.at(20, [], { revision: 'rev3' });
    assert.equal(d.recovery.rolledBackTo, undefined, 'rev3 runs');
    assert.deepEqual(reasons(d), ['Normal/RecoveryCleared']);
  });

  it('never acts on an Unmanaged Agent, but still counts and reports failures', () => {
    const a = new Agent({ unmanaged: true });
    for (const s of [0, 10, 30, 70, 150]) {
      const d = a.at(s, [crash('a', 1)]);
      assert.equal(d.action.type, 'None');
    }
    assert.equal(a.recovery!.nextRestartNotBefore, undefined);
    assert.deepEqual(reasons(a.log[0]!), ['Warning/CrashLoopBackOff']);
    assert.deepEqual(a.log[1]!.events, []);
  });

  it('never acts during a rollout within its progress deadline', () => {
    const a = new Agent({ rolloutInProgress: true });
    for (const s of [0, 10, 30, 70, 150]) assert.equal(a.at(s, [crash('a', 1)]).action.type, 'None');
  });

  it('rolls a bad image back after one step, without spending restarts on it', () => {
    const a = new Agent();
    assert.equal(a.at(0, [pullFailure('a')]).action.type, 'None');
    assert.deepEqual(a.at(10, [pullFailure('a')]).action, { type: 'Rollback', from: 'rev2', to: 'rev1' });
  });

  it('holds on a bad image with nothing to roll back to, and says restarts cannot fix it', () => {
    const a = new Agent({ lastHealthyRevision: undefined });
    a.at(0, [pullFailure('a')]);
    const d = a.at(10, [pullFailure('a')]);
    assert.equal(d.action.type, 'Hold');
    assert.equal(d.events[0]!.message, 'restarting pods cannot fix this and no revision has been healthy yet to roll back to, so the operator holds (a (ErrImagePull)): fix the cause and apply the spec; the hold also lifts after 10m healthy');
  });

  it('leaves a pending PVC to the report: no restart or rollback binds a volume', () => {
    const a = new Agent();
    const pvc: Failure = { reason: 'PVCPending', key: 'PVCPending/uid-pvc', active: true, message: 'PersistentVolumeClaim agent-data is Pending' };
    for (const s of [0, 10, 300]) assert.equal(a.at(s, [pvc]).action.type, 'None');
  });

  it('reports each new failure once as a Warning, with its diagnosis', () => {
    const a = new Agent();
    const d = a.at(0, [crash('a', 4)]);
    assert.deepEqual(d.events, [{ type: 'Warning', reason: 'CrashLoopBackOff', message: 'container agent of pod a keeps exiting (last exit code 1, 4 restarts) and the kubelet is backing off: read why with kubectl logs a -c agent --previous' }]);
    assert.deepEqual(a.at(1, [crash('a', 4)]).events, []);
  });

  it('a healthy Agent with nothing to remember converges: the same input gives the same status', () => {
    const a = new Agent();
    const first = a.at(0, []);
    const second = a.at(60, []);
    assert.deepEqual(second.recovery, first.recovery);
    assert.deepEqual(second.recovery, { generation: 1, healthySince: iso(0) });
    assert.equal(second.requeueAfterMs, undefined);
  });
});

describe('decide: recovery.oomKilled.proactive raises the limit before the kill', () => {
  const Mi = 2 ** 20;
  const near = (limit: string, workingSetMi: number) => ({
    pod: 'a', container: 'agent', workingSetBytes: workingSetMi * Mi, limit, limitBytes: Number.parseInt(limit, 10) * Mi, percent: Math.round((workingSetMi / Number.parseInt(limit, 10)) * 100), readings: 3,
  });
  const proactive: RecoveryPolicy = { ...basePolicy, oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi', proactive: true } };

  it('raises by the OOM rule once, for a container near the limit in force, and says it came before a kill', () => {
    const a = new Agent({ policy: proactive });
    const d = a.at(0, [], { memoryNearLimit: near('256Mi', 240) });
    assert.deepEqual(d.action, { type: 'IncreaseMemory', from: '256Mi', to: '356Mi' });
    assert.equal(a.recovery?.memoryLimit, '356Mi');
    assert.match(d.events.find((e) => e.reason === 'MemoryIncreased')?.message ?? '', /^memory limit raised from 256Mi to 356Mi before an OOM kill: container agent of pod a stayed near the limit \(240Mi, 94%\)/);
    // The old pod is still near its old limit until it goes: no second raise.
    assert.equal(a.at(5, [], { memoryNearLimit: near('256Mi', 250) }).action.type, 'None');
    assert.equal(a.recovery?.memoryLimit, '356Mi');
  });

  it('stops at maxMemory, like the raise after a kill', () => {
    const a = new Agent({ policy: { ...proactive, oomKilled: { ...proactive.oomKilled, maxMemory: '256Mi' } } });
    assert.equal(a.at(0, [], { memoryNearLimit: near('256Mi', 250) }).action.type, 'None');
    assert.equal(a.recovery?.memoryLimit, undefined);
  });

  it('does nothing without proactive, or with action None', () => {
    assert.equal(new Agent().at(0, [], { memoryNearLimit: near('256Mi', 250) }).action.type, 'None');
    const none: RecoveryPolicy = { ...proactive, oomKilled: { ...proactive.oomKilled, action: 'None' } };
    assert.equal(new Agent({ policy: none }).at(0, [], { memoryNearLimit: near('256Mi', 250) }).action.type, 'None');
  });
});

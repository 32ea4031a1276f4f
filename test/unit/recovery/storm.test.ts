import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecoveryStatus } from '../../../src/api/status.ts';
import type { Failure } from '../../../src/health/failure.ts';
import { maxPodDeletionsPerHour, minBackoffSeconds } from '../../../src/recovery/limits.ts';
import type { Decision } from '../../../src/recovery/decision.ts';
import { decide } from '../../../src/recovery/policy.ts';
import type { RecoveryPolicy } from '../../../src/recovery/steps.ts';

// Issue 9, defect 5: the most aggressive policy the CRD admits, against an
// agent that never recovers, run through the pure decide() for 24 simulated
// hours on a fake clock. Every pod the operator deletes comes back failing at
// once (worst case), the last healthy revision fails just the same, and the
// reconciler comes back when the decision asks or at the latest every 15 s
// (the crash loop's pod updates; more often than that is the worst case).

const hour = 3_600_000;
/** The longest between two reconciles of the crash-looping Agent: its pods change at least this often. */
const podEventEveryMs = 15_000;
const t0 = Date.UTC(2026, 10, 30, 0, 0, 0);

/** The CRD's bounds, each at its most aggressive end (src/api/recovery.ts). */
const stormPolicy: RecoveryPolicy = {
  restart: { initialBackoffSeconds: 1, maxBackoffSeconds: 1, maxAttempts: 100, windowSeconds: 60, healthyResetSeconds: 10 },
  oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi', proactive: false },
  onExhausted: 'Rollback',
};

interface Run { deletions: number[]; decisions: number; stepEvents: number; holdsAt?: number; exhaustedText?: string }

/**
 * `specEditEveryMs`: the owner applies a new spec that often (a new
 * generation and revision), trying to lift whatever the operator decided.
 */
function simulate(policy: RecoveryPolicy, hours: number, specEditEveryMs?: number): Run {
  let recovery: RecoveryStatus | undefined;
  let pod = 0;
  let generation = 1;
  let now = t0;
  const run: Run = { deletions: [], decisions: 0, stepEvents: 0 };
  const crash = (): Failure => ({
    reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/uid-${pod}/agent/r1`, active: true, pod: `p${pod}`, podUid: `uid-${pod}`,
    container: 'agent', containerState: 'waiting', restartCount: 1, exitCode: 1, message: 'back-off restarting after Error (exit code 1)',
  });
  while (now < t0 + hours * hour) {
    if (specEditEveryMs !== undefined) generation = 1 + Math.floor((now - t0) / specEditEveryMs);
    const d: Decision = decide({
      policy, generation, previous: recovery, failures: [crash()], now: new Date(now), healthy: false, unmanaged: false,
      specMemoryLimit: '256Mi', revision: `rev-g${generation}`, lastHealthyRevision: 'rev-healthy', rolloutInProgress: false,
    });
    recovery = JSON.parse(JSON.stringify(d.recovery)) as RecoveryStatus;
    run.decisions++;
    run.stepEvents += d.events.filter((e) => ['RestartedPod', 'RolledBack', 'RecoveryExhausted'].includes(e.reason)).length;
    if (d.action.type === 'RestartPod') {
      run.deletions.push(now);
      pod++;
    }
    if (d.action.type === 'Hold' && run.holdsAt === undefined) run.holdsAt = now;
    run.exhaustedText ??= d.events.find((e) => e.reason === 'RolledBack')?.message;
    now += Math.max(1000, Math.min(d.requeueAfterMs ?? podEventEveryMs, podEventEveryMs));
  }
  return run;
}

/** The most deletions in any rolling hour. */
function worstHour(times: readonly number[]): number {
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= hour) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

describe('remediation within the CRD\'s own bounds cannot storm', () => {
  it('deletes at most the hourly ceiling in any hour of a 24 h crash loop, then holds for good', (t) => {
    const run = simulate(stormPolicy, 24);
    t.diagnostic(`24 h: ${run.deletions.length} deletions, worst hour ${worstHour(run.deletions)}, hold after ${((run.holdsAt ?? 0) - t0) / 1000} s, ${run.stepEvents} step events`);
    const first10m = run.deletions.filter((t) => t < t0 + 600_000).length;
    assert.ok(worstHour(run.deletions) <= maxPodDeletionsPerHour, `worst hour: ${worstHour(run.deletions)} deletions`);
    assert.ok(run.deletions.length <= maxPodDeletionsPerHour, `24 h: ${run.deletions.length} deletions (${first10m} in the first 10 minutes)`);
    assert.ok(run.holdsAt !== undefined && run.holdsAt - t0 < hour, 'the attempts really ran out: onExhausted took over within the hour');
    assert.equal(run.deletions.filter((t) => t >= run.holdsAt!).length, 0, 'no deletion after the hold');
    assert.match(run.exhaustedText ?? '', /^12 pods deleted within the hour, the most the operator deletes for one Agent: revision rev-g1 kept failing/);
  });

  it('never steps faster than the backoff floor, whatever initialBackoffSeconds says', () => {
    const run = simulate(stormPolicy, 1);
    const gaps = run.deletions.slice(1).map((t, i) => t - run.deletions[i]!);
    assert.ok(gaps.length > 0);
    assert.ok(Math.min(...gaps) >= minBackoffSeconds * 1000, `shortest gap ${Math.min(...gaps)} ms over ${run.deletions.length} deletions`);
  });

  it('keeps the hourly ceiling across spec edits every 10 minutes', (t) => {
    const run = simulate(stormPolicy, 24, 600_000);
    t.diagnostic(`24 h with 144 spec edits: ${run.deletions.length} deletions, worst hour ${worstHour(run.deletions)}, ${run.stepEvents} step events`);
    assert.ok(worstHour(run.deletions) <= maxPodDeletionsPerHour, `worst hour: ${worstHour(run.deletions)} deletions`);
    assert.ok(run.deletions.length <= 24 * maxPodDeletionsPerHour, `24 h: ${run.deletions.length} deletions`);
    // The remediation-step events follow the steps: one per deletion, and a rollback and a hold per spec at most.
    assert.ok(run.stepEvents <= run.deletions.length + 2 * 144, `24 h: ${run.stepEvents} step events`);
  });
});

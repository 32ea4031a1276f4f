import { parseQuantity } from '../lib/quantity.ts';
import type { AgentEvent } from '../api/reasons.ts';
import type { RecoveryStatus } from '../api/status.ts';
import { diagnose, type DiagnoseContext, type MemoryContext } from '../health/diagnose.ts';
import type { ReferenceSources } from '../health/diagnose-spec.ts';
import { countNew, type Failure } from '../health/failure.ts';
import { statusTime, statusTimeCeil, toMs } from '../lib/time.ts';
import type { Action, Decision } from './decision.ts';
import * as say from './explain.ts';
import { byAge, canRestart, reportOnlyClasses, restartClasses, rollbackClasses } from './failure-classes.ts';
import { resetDueInMs, trackHealth } from './healthy.ts';
import { deletionCeilingReached, recordDeletion, saysCeiling } from './limits.ts';
import { applyManual, type ManualRequests } from './manual.ts';
import { act, set } from './record.ts';
import { backoffMs, raisedMemory, type RecoveryPolicy } from './steps.ts';
import type { MemoryFinding } from '../usage/assess.ts';

// The remediation policy: failures + the history in status.recovery + the
// policy -> the next action. Pure; time comes in as `now`, and every bit of
// memory the policy needs lives in the RecoveryStatus it returns, so an
// operator restarted mid-schedule continues where it was: nothing repeated,
// nothing forgotten.
//
// How the operator's schedule and the kubelet's coexist. The kubelet restarts
// a crashed container in place, waiting 10 s doubling to 5 min (reset after
// 10 min of clean running). The operator's restart deletes the whole pod,
// which also resets the kubelet's back-off for it, so done eagerly it would
// turn the kubelet's back-off into a hot loop. Hence:
// - the first failure only schedules a step (initialBackoffSeconds later): the
//   kubelet gets its own first retry before the operator touches anything;
// - then at most one deletion per step, the steps doubling like the kubelet's
//   (10 s, 20 s, 40 s ... capped at maxBackoffSeconds), and `maxAttempts` per
//   window, after which onExhausted takes over instead of more deletions;
// - only a pod the kubelet is holding back (container waiting in its
//   back-off) or whose readiness keeps failing is deleted; a container that is
//   running its kubelet retry is left to it, and the step waits;
// - a failure after a healthy stretch longer than the current step starts a
//   new episode (the kubelet again gets its retry first); a blip of
//   readiness between crashes keeps the schedule;
// - a Hold is sticky: it lifts only after healthyResetSeconds healthy or with
//   a new spec, not when the attempt window rolls over;
// - nothing at all while a rollout is still replacing pods and some of the new
//   revision's pods are not failing: those are the Deployment's to judge
//   first. Once every new pod fails, the revision is judged now, not after
//   the progress deadline (which each pod deletion would re-arm anyway). The
//   other exception is the OOM raise (below);
// - a revision never recorded healthy (it is not lastHealthyRevision) whose
//   pods fail while a healthy revision exists is a failed release: with
//   onExhausted Rollback it is rolled back at the first step instead of
//   restarted, or sooner: as soon as the kubelet's retry of it failed too.
//   Deleting its pods would only reset the kubelet's back-off (raising the
//   crash rate) and, under Recreate, make every step an outage;
//   the restart schedule is for a revision that has proven itself. OOM kills
//   do not count here: the memory policy owns them (and a raised limit is a
//   new revision of the operator's own making, not a bad release).
//
// OOM kills with IncreaseMemory raise the limit even during a rollout: a kill
// is the kernel saying the limit is too low, the rollout cannot succeed at that
// limit, and waiting out a progress deadline per raise would take 10 minutes a
// step. It cannot loop: only a kill at the limit in force raises it (kills of
// pods still on an older limit are counted and ignored), once per decision,
// never past maxMemory. At maxMemory the kills are failures like a crash loop:
// they follow the restart schedule (the kubelet restarts fast at first, so
// counting each kill as an attempt spent them all in seconds).

export interface DecideInput {
  policy: RecoveryPolicy;
  generation: number;
  previous: RecoveryStatus | undefined;
  /** Everything detect found now; the policy counts the new ones itself (seenFailures). */
  failures: readonly Failure[];
  now: Date;
  /** Every desired replica of the running revision is available and ready. */
  healthy: boolean;
  /**
   * Since when the pods say every one has been up without a break
   * (src/health/ready-since.ts). A healthy stretch never starts before it, so
   * health the operator did not see (it was not running) is not counted.
   */
  readySince?: string | undefined;
  unmanaged: boolean;
  /** The spec's memory limit (defaults applied); the override, if any, is in `previous`. */
  specMemoryLimit: string;
  /** The revision the spec asks for. */
  revision: string;
  lastHealthyRevision?: string | undefined;
  /** The Deployment is still replacing pods and not every new pod is failing: the policy waits. */
  rolloutInProgress: boolean;
  /** For naming fields in failure texts. */
  spec?: ReferenceSources | undefined;
  /** A human's hold, resume and rollback requests (manual.ts), and the revisions a rollback can run. */
  manual?: { requests: ManualRequests; available: readonly string[] } | undefined;
  /** A container whose working set stays near its memory limit (src/usage/assess.ts), for recovery.oomKilled.proactive. */
  memoryNearLimit?: MemoryFinding | undefined;
}

export function decide(input: DecideInput): Decision {
  const now = input.now.getTime();
  const { policy } = input;
  const events: AgentEvent[] = [];
  const rec = carryOver(input, events);
  const { fresh, seen } = countNew(input.failures, rec.seenFailures);
  set(rec, 'seenFailures', seen.length ? seen : undefined);
  const active = input.failures.filter((f) => f.active);
  const healthy = input.healthy && active.length === 0;
  expireWindow(rec, policy, now);
  trackHealth(rec, policy, { healthy, active, now, readySince: toMs(input.readySince) }, events);

  const inForce = rec.memoryLimit ?? input.specMemoryLimit;
  // The failure the OOM step acted on, and what it did, for that failure's event text.
  let oomCause: { failure: Failure; memory: Partial<MemoryContext> } | undefined;
  const finish = (action: Action, requeueAfterMs?: number): Decision => {
    const memory: MemoryContext = { action: policy.oomKilled.action, inForce, max: policy.oomKilled.maxMemory };
    const ctx = (f: Failure): DiagnoseContext => ({
      memory: f === oomCause?.failure ? { ...memory, ...oomCause.memory } : memory,
      ...(input.spec ? { spec: input.spec } : {}),
    });
    const failureEvents = fresh.map((f): AgentEvent => ({ type: 'Warning', reason: f.reason, message: diagnose(f, ctx(f)) }));
    const decision: Decision = { action, recovery: rec, fresh, events: [...failureEvents, ...events] };
    const waits = [requeueAfterMs ?? resetDueInMs(rec, policy, healthy, now), windowEndsInMs(rec, policy, now)].filter((w): w is number => w !== undefined);
    if (waits.length) decision.requeueAfterMs = Math.max(0, Math.min(...waits));
    return decision;
  };

  if (input.unmanaged) return finish({ type: 'None' });
  if (input.manual) {
    const requested = applyManual(input.manual.requests, rec, { generation: input.generation, revision: input.revision, available: input.manual.available, now }, events);
    if (requested) return finish(requested);
  }
  if (rec.lastAction === 'Hold') return finish({ type: 'Hold' });

  // One step up from the limit in force, never past maxMemory (undefined there): after a kill, or ahead of one.
  const raiseMemory = (text: (to: string) => string, cause?: Failure): Decision | undefined => {
    const raise = raisedMemory(inForce, policy.oomKilled.maxMemory);
    if (raise.capped) return undefined;
    if (cause) oomCause = { failure: cause, memory: { raisedTo: raise.to } };
    rec.memoryLimit = raise.to;
    act(rec, 'IncreaseMemory', now);
    events.push({ type: 'Normal', reason: 'MemoryIncreased', message: text(raise.to) });
    return finish({ type: 'IncreaseMemory', from: inForce, to: raise.to });
  };
  const raising = policy.oomKilled.action === 'IncreaseMemory';

  const cause = fresh.find((f) => f.reason === 'OOMKilled' && (f.memoryLimit === undefined || parseQuantity(f.memoryLimit) >= parseQuantity(inForce)));
  const raisedAfterKill = raising && cause && raiseMemory((to) => say.memoryIncreasedText(inForce, to, input.specMemoryLimit, policy.oomKilled.maxMemory, cause), cause);
  if (raisedAfterKill) return raisedAfterKill;

  if (input.rolloutInProgress) return finish({ type: 'None' });

  // Proactive: the same raise before the kill, under the same rules. Only a
  // container at the limit in force counts (an old pod still at a lower limit
  // is on its way out), so a raise is never repeated for the same warning.
  const near = input.memoryNearLimit;
  const raisedAhead = raising && policy.oomKilled.proactive && near && near.limitBytes >= parseQuantity(inForce)
    && raiseMemory((to) => say.memoryRaisedAheadText(inForce, to, input.specMemoryLimit, policy.oomKilled.maxMemory, near));
  if (raisedAhead) return raisedAhead;

  const remediable = active.filter((f) => !reportOnlyClasses.has(f.reason));
  if (remediable.length === 0) return finish({ type: 'None' });

  const running = rec.rolledBackTo ?? input.revision;
  const failedRelease = policy.onExhausted === 'Rollback' && input.lastHealthyRevision !== undefined && input.lastHealthyRevision !== running
    && remediable.some((f) => f.revision === running && f.reason !== 'OOMKilled');
  // A failed release whose kubelet retry has failed too (the container died
  // again: terminated or waiting in its back-off) is rolled back now: the
  // step's wait is for the kubelet's retry, and that is spent. Waiting the
  // rest of the step only kept a bad release's crashing pod around (make
  // chaos: bad-release MTTR 16-17 s, the step being 10 s of it), the way a
  // canary that failed its check is aborted at once rather than retried. A
  // real kubelet reports the dead retry as terminated until its next pod sync
  // (up to 10 s later) says CrashLoopBackOff, so terminated counts the same.
  if (failedRelease && remediable.some((f) => f.revision === running && f.reason !== 'OOMKilled' && retryDied(f))) {
    return exhaust(input, rec, events, remediable, now, finish, false);
  }

  const due = toMs(rec.nextRestartNotBefore);
  // The first step waits one backoff so the kubelet retries first, except for
  // a readiness failure alone: the kubelet never restarts a container for it,
  // and its probe window was the wait. Later steps keep the backoff and floor.
  const kubeletRetries = remediable.some((f) => f.reason !== 'ProbeFailure');
  if (due === undefined && kubeletRetries) {
    const wait = backoffMs(policy.restart, rec.restartAttempts ?? 0);
    rec.nextRestartNotBefore = statusTimeCeil(now + wait);
    return finish({ type: 'None' }, wait);
  }
  if (due !== undefined && now < due) return finish({ type: 'None' }, due - now);

  if (failedRelease) {
    return exhaust(input, rec, events, remediable, now, finish, false);
  }

  const atCap = parseQuantity(inForce) >= parseQuantity(policy.oomKilled.maxMemory);
  const restartable = remediable.filter((f) => canRestart(f, policy, atCap));
  const attempts = rec.restartAttempts ?? 0;
  const onlyRollbackHelps = restartable.length === 0 && remediable.some((f) => rollbackClasses.has(f.reason)) && !remediable.some((f) => restartClasses.has(f.reason));
  if (attempts >= policy.restart.maxAttempts || onlyRollbackHelps) return exhaust(input, rec, events, remediable, now, finish, !onlyRollbackHelps || attempts >= policy.restart.maxAttempts);
  // The hourly ceiling on deletions (limits.ts): reaching it is running out of attempts, whatever the window says.
  if (deletionCeilingReached(rec, now)) return saysCeiling(exhaust(input, rec, events, remediable, now, finish, true));

  const target = [...restartable].sort(byAge)[0];
  if (!target) return finish({ type: 'None' }, backoffMs(policy.restart, 0));
  countAttempt(rec, policy, now);
  recordDeletion(rec, now);
  act(rec, 'RestartPod', now);
  events.push({ type: 'Normal', reason: 'RestartedPod', message: say.restartedText(target, attempts + 1, policy.restart.maxAttempts, rec.nextRestartNotBefore!) });
  const action: Action = { type: 'RestartPod', pod: target.pod! };
  if (target.podUid) action.podUid = target.podUid;
  return finish(action, backoffMs(policy.restart, attempts + 1));
}

/**
 * A new generation starts clean (keeping which failures were already counted);
 * the same one carries on. A rollback also ends when the spec's revision moves
 * on without a new generation (a referenced Secret or ConfigMap changed): it
 * was a rollback from a revision the spec no longer asks for.
 */
function carryOver(input: DecideInput, events: AgentEvent[]): RecoveryStatus {
  const prev = input.previous ?? {};
  if (prev.generation === undefined || prev.generation === input.generation) {
    const rec: RecoveryStatus = { ...structuredClone(prev), generation: input.generation };
    if (rec.rolledBackFrom !== undefined && rec.rolledBackFrom !== input.revision) {
      events.push({ type: 'Normal', reason: 'RecoveryCleared', message: say.revisionMovedText(rec.rolledBackFrom, input.revision, rec.rolledBackTo) });
      for (const k of ['rolledBackFrom', 'rolledBackTo', 'restartAttempts', 'windowStart', 'nextRestartNotBefore'] as const) set(rec, k, undefined);
      if (rec.lastAction === 'Hold') {
        set(rec, 'lastAction', undefined);
        set(rec, 'lastActionTime', undefined);
      }
    }
    return rec;
  }
  const rec: RecoveryStatus = { generation: input.generation };
  if (prev.seenFailures?.length) rec.seenFailures = [...prev.seenFailures];
  // The deletion ceiling outlives the spec: no spec change lifts it.
  if (prev.podDeletions?.length) rec.podDeletions = [...prev.podDeletions];
  if (prev.memoryLimit || prev.rolledBackTo || prev.restartAttempts || prev.lastAction === 'Hold') {
    events.push({ type: 'Normal', reason: 'RecoveryCleared', message: say.clearedText(input.generation, prev) });
  }
  return rec;
}

/** The window maxAttempts counts in starts at the first attempt; when it is over, attempts start from zero. A hold outlives it. */
function expireWindow(rec: RecoveryStatus, policy: RecoveryPolicy, now: number): void {
  const start = toMs(rec.windowStart);
  if (start === undefined || rec.lastAction === 'Hold' || now - start < policy.restart.windowSeconds * 1000) return;
  set(rec, 'restartAttempts', undefined);
  set(rec, 'windowStart', undefined);
}

/** When the attempt window ends and expireWindow clears the count: the hour passing is no event, so the status's count is due then. */
function windowEndsInMs(rec: RecoveryStatus, policy: RecoveryPolicy, now: number): number | undefined {
  const start = toMs(rec.windowStart);
  if (start === undefined || rec.lastAction === 'Hold') return undefined;
  return start + policy.restart.windowSeconds * 1000 - now;
}

function exhaust(
  input: DecideInput, rec: RecoveryStatus, events: AgentEvent[], failing: readonly Failure[], now: number,
  finish: (action: Action, requeueAfterMs?: number) => Decision, usedUp: boolean,
): Decision {
  const running = rec.rolledBackTo ?? input.revision;
  const target = input.lastHealthyRevision;
  if (input.policy.onExhausted === 'Rollback' && target !== undefined && target !== running) {
    rec.rolledBackFrom = running;
    rec.rolledBackTo = target;
    for (const k of ['restartAttempts', 'windowStart', 'nextRestartNotBefore', 'healthySince'] as const) set(rec, k, undefined);
    act(rec, 'Rollback', now);
    events.push({ type: 'Warning', reason: 'RolledBack', message: say.rolledBackText(running, target, failing) });
    return finish({ type: 'Rollback', from: running, to: target });
  }
  const why: say.HoldWhy = input.policy.onExhausted === 'Hold' ? 'HoldPolicy' : target === undefined ? 'NoHealthyRevision' : 'HealthyRevisionFailing';
  act(rec, 'Hold', now);
  events.push({ type: 'Warning', reason: 'RecoveryExhausted', message: say.exhaustedText(why, target, failing, input.policy.restart.healthyResetSeconds, usedUp) });
  return finish({ type: 'Hold' });
}

/** The container died after the kubelet had restarted it at least once: its own retry is spent. */
function retryDied(f: Failure): boolean {
  return (f.containerState === 'waiting' || f.containerState === 'terminated') && (f.restartCount ?? 0) >= 1;
}

function countAttempt(rec: RecoveryStatus, policy: RecoveryPolicy, now: number): void {
  const attempts = (rec.restartAttempts ?? 0) + 1;
  rec.restartAttempts = attempts;
  rec.windowStart ??= statusTime(now);
  rec.nextRestartNotBefore = statusTimeCeil(now + backoffMs(policy.restart, attempts));
}

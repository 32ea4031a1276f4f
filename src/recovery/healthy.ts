import type { RecoveryStatus } from '../api/status.ts';
import type { Failure } from '../health/failure.ts';
import { statusTime, toMs } from '../lib/time.ts';
import type { AgentEvent } from '../api/reasons.ts';
import * as say from './explain.ts';
import { act, set } from './record.ts';
import { backoffMs, type RecoveryPolicy } from './steps.ts';

// How long the Agent has been healthy, and what that resets.
//
// status.recovery.healthySince is when the operator *saw* the Agent healthy.
// Between two reconciles it is only a claim: a crash-looping container is
// ready for a moment between crashes, and if the operator saw such a moment
// and then did not run for a while (killed, upgraded, failing over), the old
// time would read as one long healthy stretch. So the pods' own record bounds
// it on both sides: while healthy, the stretch starts no earlier than the pods
// say they came up (readySince); on a failure, it started no earlier than the
// failing container's last run (Failure.ranSince).

export interface HealthInput {
  healthy: boolean;
  /** The active failures now. */
  active: readonly Failure[];
  now: number;
  /** src/health/ready-since.ts, when every pod is ready. */
  readySince: number | undefined;
}

/** Healthy for healthyResetSeconds: attempts and schedule reset, a hold lifts. Overrides and rollbacks stay until the spec changes. */
export function trackHealth(rec: RecoveryStatus, policy: RecoveryPolicy, h: HealthInput, events: AgentEvent[]): void {
  const { now } = h;
  if (!h.healthy) {
    // A failure after a healthy stretch longer than the step starts a new
    // episode: a stale step time would make the operator act at first sight,
    // before the kubelet's own retry. Short healthy blips (a crash-looping
    // container is ready for a moment between crashes) keep the schedule, or
    // the operator would never reach its step.
    const since = toMs(rec.healthySince);
    const step = toMs(rec.nextRestartNotBefore);
    if (since !== undefined && step !== undefined && step <= now && stretchMs(since, h) >= backoffMs(policy.restart, rec.restartAttempts ?? 0)) {
      set(rec, 'nextRestartNotBefore', undefined);
    }
    set(rec, 'healthySince', undefined);
    return;
  }
  rec.healthySince ??= statusTime(now);
  // A break the pods show after the recorded start (a crash while the operator was not looking) restarts the stretch.
  const readySince = h.readySince;
  if (readySince !== undefined && readySince <= now && readySince > toMs(rec.healthySince)!) rec.healthySince = statusTime(readySince);
  const since = toMs(rec.healthySince)!;
  if (now - since < policy.restart.healthyResetSeconds * 1000 || !somethingToReset(rec)) return;
  const held = rec.lastAction === 'Hold';
  set(rec, 'restartAttempts', undefined);
  set(rec, 'windowStart', undefined);
  set(rec, 'nextRestartNotBefore', undefined);
  if (held) act(rec, 'None', now);
  events.push({ type: 'Normal', reason: 'Healthy', message: say.healthyResetText(policy.restart.healthyResetSeconds, held) });
}

/**
 * The healthy stretch that a failure now ends: from the recorded start, or
 * from the latest run of a failing container if that began later (it crashed
 * in between), to the earliest of the failures.
 */
function stretchMs(healthySince: number, h: HealthInput): number {
  let start = healthySince;
  let end = h.now;
  for (const f of h.active) {
    const ran = toMs(f.ranSince);
    const failed = toMs(f.since);
    if (ran !== undefined && ran > start) start = ran;
    if (failed !== undefined && failed < end) end = failed;
  }
  return end - start;
}

export function somethingToReset(rec: RecoveryStatus): boolean {
  return rec.restartAttempts !== undefined || rec.windowStart !== undefined || rec.nextRestartNotBefore !== undefined || rec.lastAction === 'Hold';
}

export function resetDueInMs(rec: RecoveryStatus, policy: RecoveryPolicy, healthy: boolean, now: number): number | undefined {
  if (!healthy || !somethingToReset(rec)) return undefined;
  return toMs(rec.healthySince)! + policy.restart.healthyResetSeconds * 1000 - now;
}

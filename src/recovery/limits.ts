import { remediationLimits } from '../api/recovery.ts';
import type { RecoveryStatus } from '../api/status.ts';
import { statusTime, toMs } from '../lib/time.ts';
import type { Decision } from './decision.ts';
import { set } from './record.ts';

// Bounds on remediation that no spec can lift. The CRD admits a policy
// (initialBackoffSeconds 1, maxAttempts 100, windowSeconds 60) under which the
// attempt window rolls over before the attempts run out, so an agent that
// never recovers would have its pods deleted once a second for ever. These
// hold whatever the spec says, and across spec changes.

/**
 * No step comes sooner than this. It is the kubelet's own first back-off:
 * deleting a crash-looping pod resets the kubelet's back-off for its
 * replacement, so deleting faster only turns the kubelet's back-off into a
 * hot loop.
 */
export const minBackoffSeconds = remediationLimits.minBackoffSeconds;

/**
 * At most this many pod deletions per Agent in any rolling hour: one per
 * 5 minutes, the kubelet's back-off cap. Reaching it counts as the restarts
 * being used up (onExhausted takes over), so attempts really run out.
 */
export const maxPodDeletionsPerHour = remediationLimits.maxPodDeletionsPerHour;

const hourMs = 3_600_000;

/** The operator's pod deletions within the hour before `now` (status.recovery.podDeletions). */
export function deletionsInLastHour(rec: RecoveryStatus, now: number): number {
  return (rec.podDeletions ?? []).filter((t) => now - (toMs(t) ?? 0) < hourMs).length;
}

export function deletionCeilingReached(rec: RecoveryStatus, now: number): boolean {
  return deletionsInLastHour(rec, now) >= maxPodDeletionsPerHour;
}

/**
 * Records a deletion at `now`, dropping the ones older than an hour. Only a
 * deletion changes the list (never the passing of time alone), so a
 * converged Agent writes no status for it.
 */
export function recordDeletion(rec: RecoveryStatus, now: number): void {
  const recent = (rec.podDeletions ?? []).filter((t) => now - (toMs(t) ?? 0) < hourMs);
  set(rec, 'podDeletions', [...recent, statusTime(now)].slice(-maxPodDeletionsPerHour));
}

/**
 * Milliseconds until the ceiling lets a deletion through again, while it is
 * reached: the moment the deletion that makes it full leaves the rolling
 * hour. Undefined while deletions are left. The hour passing is no event, so
 * a deletion the ceiling holds (a failed reload's pod) is due then.
 */
export function deletionCeilingLiftsInMs(rec: RecoveryStatus, now: number): number | undefined {
  const recent = (rec.podDeletions ?? []).map((t) => toMs(t) ?? 0).filter((t) => now - t < hourMs).sort((a, b) => a - b);
  if (recent.length < maxPodDeletionsPerHour) return undefined;
  return recent[recent.length - maxPodDeletionsPerHour]! + hourMs - now;
}

const ceilingText = `${maxPodDeletionsPerHour} pods deleted within the hour, the most the operator deletes for one Agent`;

/** Why a deletion is not made, when the ceiling is reached; undefined while deletions are left. */
export function deletionCeilingText(rec: RecoveryStatus, now: number): string | undefined {
  return deletionCeilingReached(rec, now) ? ceilingText : undefined;
}

/** The onExhausted step the ceiling caused says so: the spec's maxAttempts may not have been reached. */
export function saysCeiling(d: Decision): Decision {
  for (const e of d.events) {
    if (e.reason === 'RolledBack' || e.reason === 'RecoveryExhausted') {
      e.message = `${ceilingText}: ${e.message}`;
    }
  }
  return d;
}

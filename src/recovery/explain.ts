import type { RecoveryStatus } from '../api/status.ts';
import type { Failure } from '../health/failure.ts';
import { formatDuration } from '../lib/time.ts';
import { formatMemory } from '../lib/quantity.ts';
import type { MemoryFinding } from '../usage/assess.ts';

// What the operator did and what is in force, in words: event messages for
// each remediation step, and the Degraded condition's sentences. Each says
// what runs, why, and how to clear it.

export function podList(failures: readonly Failure[]): string {
  const byPod = [...new Set(failures.map((f) => (f.pod ? `${f.pod} (${f.reason})` : f.reason)))];
  return byPod.length <= 3 ? byPod.join(', ') : `${byPod.slice(0, 3).join(', ')} and ${byPod.length - 3} more`;
}

export function restartedText(target: Failure, attempt: number, maxAttempts: number, next: string): string {
  return `deleted pod ${target.pod} so it is recreated fresh (${target.reason} in container ${target.container}): restart ${attempt} of ${maxAttempts}, next step not before ${next}`;
}

export function memoryIncreasedText(from: string, to: string, spec: string, max: string, cause: Failure | undefined): string {
  const what = cause ? `container ${cause.container} of pod ${cause.pod} was OOMKilled at ${from}` : `an OOM kill at ${from}`;
  return `memory limit raised from ${from} to ${to} because ${what} (recovery.oomKilled, max ${max}); the spec still says ${spec}: set resources.limits.memory to keep it`;
}

/** recovery.oomKilled.proactive: the raise came before any kill. */
export function memoryRaisedAheadText(from: string, to: string, spec: string, max: string, near: MemoryFinding): string {
  return `memory limit raised from ${from} to ${to} before an OOM kill: container ${near.container} of pod ${near.pod} stayed near the limit (${formatMemory(near.workingSetBytes)}, ${near.percent}%) (recovery.oomKilled.proactive, max ${max}); the spec still says ${spec}: set resources.limits.memory to keep it`;
}

export function rolledBackText(from: string, to: string, failing: readonly Failure[]): string {
  return `revision ${from} kept failing (${podList(failing)}); now running revision ${to}, the last healthy one, while the spec stays as written: fix the spec and apply it, which clears the rollback`;
}

export type HoldWhy = 'HoldPolicy' | 'NoHealthyRevision' | 'HealthyRevisionFailing';

export function holdWhyText(why: HoldWhy, lastHealthy: string | undefined): string {
  switch (why) {
    case 'HoldPolicy': return 'recovery.onExhausted is Hold';
    case 'NoHealthyRevision': return 'no revision has been healthy yet to roll back to';
    case 'HealthyRevisionFailing': return `the last healthy revision ${lastHealthy} is the one failing`;
  }
}

/** `usedUp`: the restarts ran out; otherwise the failure is one no restart can fix (image, config, scheduling). */
export function exhaustedText(why: HoldWhy, lastHealthy: string | undefined, failing: readonly Failure[], healthyReset: number, usedUp = true): string {
  return `${usedUp ? 'remediation is used up' : 'restarting pods cannot fix this'} and ${holdWhyText(why, lastHealthy)}, so the operator holds (${podList(failing)}): fix the cause and apply the spec; the hold also lifts after ${formatDuration(healthyReset * 1000)} healthy`;
}

export function clearedText(generation: number, prev: RecoveryStatus): string {
  const parts: string[] = [];
  if (prev.memoryLimit) parts.push(`memory override ${prev.memoryLimit}`);
  if (prev.rolledBackTo) parts.push(`rollback to revision ${prev.rolledBackTo}`);
  if (prev.lastAction === 'Hold') parts.push('hold');
  if (prev.restartAttempts) parts.push(`${prev.restartAttempts} restart attempt${prev.restartAttempts === 1 ? '' : 's'}`);
  return `spec generation ${generation} cleared ${parts.join(', ')}: running the spec as written`;
}

export function revisionMovedText(from: string, to: string, ranInstead: string | undefined): string {
  return `the spec's revision moved from ${from} to ${to} (a referenced Secret or ConfigMap changed), so the rollback to ${ranInstead} ends: trying ${to}`;
}

export function healthyResetText(seconds: number, liftedHold: boolean): string {
  return `healthy for ${formatDuration(seconds * 1000)}: restart attempts reset${liftedHold ? ' and the hold lifted' : ''}`;
}

/** Degraded while a rollback is in force. */
export function rollbackInForceText(r: RecoveryStatus): string {
  return `running revision ${r.rolledBackTo} (the last healthy) instead of ${r.rolledBackFrom}, which kept failing: fix the spec and apply it to clear the rollback`;
}

/** Degraded while a memory override is in force. */
export function memoryOverrideText(override: string, spec: string, max: string): string {
  return `memory limit is ${override} instead of the spec's ${spec}, raised against OOM kills (recovery.oomKilled, max ${max}): set resources.limits.memory to ${override} or more to keep it; any spec change clears the override`;
}

/** Degraded/Stalled while the operator holds. */
export function holdInForceText(healthyReset: number): string {
  return `remediation is used up and the operator holds: fix the cause and apply the spec; the hold also lifts after ${formatDuration(healthyReset * 1000)} healthy`;
}

import type { AgentStatus, Condition, RecoveryAction } from '../api/status.ts';
import { toMs } from '../lib/time.ts';
import { findCondition } from './conditions.ts';
import { statusChanged } from './transitions.ts';

/**
 * How long a rollout's progress counters may wait for the next write. A new
 * Agent's rollout is usually done within it (ReplicaSet created, pod
 * scheduled, pod Ready), so its counters ride along with the Ready write
 * instead of costing a status write each; a rollout still under way after
 * it shows its progress as before. A remedy's rollout (a memory raise, a
 * rollback) gets the same time, counted from the remedy.
 */
export const progressWriteDelayMs = 10_000;

/**
 * When a status that differs from the previous one only in a rollout's
 * progress may wait: a rollout the Agent's own spec asked for
 * (rolloutProgressDue), or one a remedy started (remedyRolloutDue). Returns
 * the milliseconds until the status must be written (plan requeues then), or
 * undefined when it is to be written now.
 */
export function progressWriteDue(prev: AgentStatus | undefined, next: AgentStatus, now: Date): number | undefined {
  return rolloutProgressDue(prev, next, now) ?? remedyRolloutDue(prev, next, now);
}

/**
 * A rollout's progress: both statuses say the rollout is in progress (Ready
 * False, RolloutInProgress), every condition keeps its status, and only the
 * Deployment's counters (replicas, updated, available), the running image and
 * the conditions' reasons and messages moved. The READY column (readyText),
 * the phase, observedGeneration, the revision, failures and recovery are never
 * held back.
 */
function rolloutProgressDue(prev: AgentStatus | undefined, next: AgentStatus, now: Date): number | undefined {
  const before = findCondition(prev?.conditions, 'Ready');
  const after = findCondition(next.conditions, 'Ready');
  if (!prev || !before || !after || before.reason !== 'RolloutInProgress' || after.reason !== 'RolloutInProgress' || before.status !== 'False' || after.status !== 'False') return undefined;
  const due = Date.parse(before.lastTransitionTime) + progressWriteDelayMs - now.getTime();
  if (!(due > 0)) return undefined;
  return statusChanged(withoutProgress(prev), withoutProgress(next)) ? undefined : due;
}

/** Remedies that roll the workload out again; each has its own event saying so (MemoryIncreased, RolledBack). */
const rollingRemedies: ReadonlySet<RecoveryAction> = new Set(['IncreaseMemory', 'Rollback']);

/**
 * Milliseconds left of the rollout a remedy started: the status records a
 * remedy that rolls the workload (recovery.lastAction IncreaseMemory or
 * Rollback) taken less than progressWriteDelayMs ago. Undefined otherwise.
 */
export function remedyRolloutLeftMs(status: AgentStatus | undefined, now: Date): number | undefined {
  const rec = status?.recovery;
  if (!rec?.lastAction || !rollingRemedies.has(rec.lastAction)) return undefined;
  const taken = toMs(rec.lastActionTime);
  const left = taken === undefined ? undefined : taken + progressWriteDelayMs - now.getTime();
  return left !== undefined && left > 0 ? left : undefined;
}

/**
 * A remedy's rollout (issue 13): an OOM kill raises the memory limit, and the
 * Deployment controller's steps (the new generation observed, the raised pod
 * created, Ready beside the old one, the old one gone) each moved a counter,
 * the READY column (1/1, 2/1, 1/1 as the raised pod surges in) or a
 * condition's reason (Degraded from OOMKilled to MemoryIncreased once the
 * killed pod is on its way out): six status writes for one remedy, which the
 * next Agent's detection write waited behind at the apiserver. The failure
 * and the remedy are already written (lastFailure, recovery, Ready False),
 * so while the remedy's rollout runs, a status that moves only those may wait
 * for the write that matters: Ready going True, the next failure, the next
 * remedy. Never held: a condition changing status (Reconciling going True as
 * the raise is applied included), the phase, the revision, observedGeneration,
 * lastFailure, recovery, lastHealthyRevision. The same 10 s bound as a
 * spec's rollout, counted from the remedy, so a slow rollout shows its
 * progress as before.
 */
function remedyRolloutDue(prev: AgentStatus | undefined, next: AgentStatus, now: Date): number | undefined {
  const left = remedyRolloutLeftMs(next, now);
  if (!prev || left === undefined) return undefined;
  if (findCondition(prev.conditions, 'Ready')?.status !== 'False' || findCondition(next.conditions, 'Ready')?.status !== 'False') return undefined;
  return statusChanged(withoutRemedyProgress(prev), withoutRemedyProgress(next)) ? undefined : left;
}

function withoutProgress(s: AgentStatus): AgentStatus {
  const { replicas: _r, updatedReplicas: _u, availableReplicas: _a, image: _i, ...rest } = s;
  return { ...rest, ...(s.conditions ? { conditions: s.conditions.map(statusOnly) } : {}) };
}

function withoutRemedyProgress(s: AgentStatus): AgentStatus {
  const { readyReplicas: _r, readyText: _t, restarts: _s, misscheduledReplicas: _m, ...rest } = withoutProgress(s);
  return rest;
}

function statusOnly(c: Condition): Condition {
  return { ...c, reason: '', message: '' };
}

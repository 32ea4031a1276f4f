import type { AgentStatus, Condition } from '../api/status.ts';
import { findCondition } from './conditions.ts';
import { statusChanged } from './transitions.ts';

/**
 * How long a rollout's progress counters may wait for the next write. A new
 * Agent's rollout is usually done within it (ReplicaSet created, pod
 * scheduled, pod Ready), so its counters ride along with the Ready write
 * instead of costing a status write each; a rollout still under way after
 * it shows its progress as before.
 */
export const progressWriteDelayMs = 10_000;

/**
 * When a status that differs from the previous one only in a rollout's
 * progress may wait: both say the rollout is in progress (Ready False,
 * RolloutInProgress), every condition keeps its status, and only the
 * Deployment's counters (replicas, updated, available), the running image and
 * the conditions' reasons and messages moved. The READY column (readyText),
 * the phase, observedGeneration, the revision, failures and recovery are never
 * held back. Returns the milliseconds until the status must be written (plan
 * requeues then), or undefined when it is to be written now.
 */
export function progressWriteDue(prev: AgentStatus | undefined, next: AgentStatus, now: Date): number | undefined {
  const before = findCondition(prev?.conditions, 'Ready');
  const after = findCondition(next.conditions, 'Ready');
  if (!prev || !before || !after || before.reason !== 'RolloutInProgress' || after.reason !== 'RolloutInProgress' || before.status !== 'False' || after.status !== 'False') return undefined;
  const due = Date.parse(before.lastTransitionTime) + progressWriteDelayMs - now.getTime();
  if (!(due > 0)) return undefined;
  return statusChanged(withoutProgress(prev), withoutProgress(next)) ? undefined : due;
}

function withoutProgress(s: AgentStatus): AgentStatus {
  const { replicas: _r, updatedReplicas: _u, availableReplicas: _a, image: _i, ...rest } = s;
  return { ...rest, ...(s.conditions ? { conditions: s.conditions.map(statusOnly) } : {}) };
}

function statusOnly(c: Condition): Condition {
  return { ...c, reason: '', message: '' };
}

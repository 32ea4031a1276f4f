import type { Reason } from '../api/reasons.ts';
import { conditionTypes, type Condition, type ConditionType } from '../api/status.ts';
import { statusTime } from '../lib/time.ts';

/** A condition as computed, before lastTransitionTime is settled. */
export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: Reason;
  message: string;
  observedGeneration?: number;
}

/**
 * Sets one condition in a list (metav1.Condition semantics, as
 * meta.SetStatusCondition does): lastTransitionTime moves only when the status
 * changes, so re-computing the same state writes nothing new; reason, message
 * and observedGeneration always take the new values. Returns a new list; the
 * order of existing entries is kept and a new type is appended.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prior = i >= 0 ? list[i] : undefined;
  const condition: Condition = {
    type: next.type,
    status: next.status,
    ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
    lastTransitionTime: prior && prior.status === next.status ? prior.lastTransitionTime : statusTime(now.getTime()),
    reason: next.reason,
    message: next.message,
  };
  if (i >= 0) list[i] = condition;
  else list.push(condition);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Conditions in the catalogue's order (Ready first), unknown types last by name: one stable order to write. */
export function sortConditions(conditions: readonly Condition[]): Condition[] {
  const rank = (t: string) => {
    const i = (conditionTypes as readonly string[]).indexOf(t);
    return i < 0 ? conditionTypes.length : i;
  };
  return [...conditions].sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

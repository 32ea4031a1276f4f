import type { AgentStatus } from '../api/status.ts';
import { setCondition, sortConditions } from './conditions.ts';
import type { Blocker } from './last-failure.ts';

/**
 * The status with something that stops the operator from carrying out the
 * spec laid over it: an object it may not take over (NameConflict) or a write
 * the apiserver refused (ApplyFailed). Both need a person: Ready is False,
 * Stalled True and Reconciling False with that reason, whatever the pods say.
 * Everything else (replicas, recovery, the other conditions) stays as
 * computed, so the status is current while the operator is stuck.
 *
 * Pure and idempotent: laying the same blocker over the same computed status
 * gives the same result, so a refusal that persists writes nothing new.
 */
export function withBlocker(status: AgentStatus, previous: AgentStatus | undefined, blocker: Blocker, generation: number, now: Date): AgentStatus {
  let conditions = status.conditions;
  const set = (type: 'Ready' | 'Stalled' | 'Reconciling', value: 'True' | 'False', message: string) => {
    // The computed status may have flipped the condition this time; its transition time is the one last written.
    const before = previous?.conditions?.find((c) => c.type === type);
    const base = (conditions ?? []).filter((c) => c.type !== type);
    if (before) base.push(before);
    conditions = setCondition(base, { type, status: value, reason: blocker.reason, message, observedGeneration: generation }, now);
  };
  set('Ready', 'False', blocker.message);
  set('Stalled', 'True', blocker.message);
  set('Reconciling', 'False', 'stalled: see the Stalled condition');
  return { ...status, phase: status.phase === 'Unmanaged' ? status.phase : 'Failed', conditions: sortConditions(conditions ?? []) };
}

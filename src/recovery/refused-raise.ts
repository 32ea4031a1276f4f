import type { Failure } from '../health/failure.ts';
import type { Decision } from './decision.ts';
import { act } from './record.ts';

/**
 * A memory raise the namespace refuses (a ResourceQuota or LimitRange: the
 * new ReplicaSet cannot create a single pod) is held, not pushed further:
 * each further raise would be refused the same way, and a restart of the old
 * pods changes nothing. The override stays, so the raise rolls out by itself
 * once the quota or the LimitRange admits it; the hold lifts as any hold does
 * (healthyResetSeconds healthy, or a new spec). The failure's own event and
 * diagnosis say that the operator holds (src/health/replica-failure.ts).
 */
export function holdRefusedRaise(d: Decision, failures: readonly Failure[], now: Date): Decision {
  const refused = failures.some((f) => f.active && f.refusedRaise);
  if (!refused || d.recovery.memoryLimit === undefined || d.action.type === 'Hold') return d;
  const recovery = structuredClone(d.recovery);
  act(recovery, 'Hold', now.getTime());
  return { ...d, action: { type: 'Hold' }, recovery };
}

import type { AgentEvent } from '../api/reasons.ts';
import type { RecoveryStatus } from '../api/status.ts';
import type { Failure } from '../health/failure.ts';

// What the recovery policy (policy.ts) decides, in a file of its own so the
// parts of the policy (healthy.ts, limits.ts, manual.ts, refused-raise.ts) and
// the status can name it without importing the policy that imports them.

export type Action =
  | { type: 'None' }
  | { type: 'RestartPod'; pod: string; podUid?: string }
  | { type: 'IncreaseMemory'; from: string; to: string }
  | { type: 'Rollback'; from: string; to: string }
  | { type: 'Hold' };

export interface Decision {
  action: Action;
  /** The next status.recovery. */
  recovery: RecoveryStatus;
  /** Failures counted for the first time now (for status.lastFailure and metrics). */
  fresh: Failure[];
  events: AgentEvent[];
  /** Come back then even if nothing changes (a step is due, the attempt window ends, or attempts reset). */
  requeueAfterMs?: number;
}

import type { RecoveryStatus } from '../api/status.ts';
import { statusTime } from '../lib/time.ts';

// Writing to the RecoveryStatus the policy returns.

export function act(rec: RecoveryStatus, action: NonNullable<RecoveryStatus['lastAction']>, now: number): void {
  rec.lastAction = action;
  rec.lastActionTime = statusTime(now);
}

/** Absent rather than zero/empty, so the same state always serialises the same way. */
export function set<K extends keyof RecoveryStatus>(rec: RecoveryStatus, key: K, value: RecoveryStatus[K] | undefined): void {
  if (value === undefined) delete rec[key];
  else rec[key] = value;
}

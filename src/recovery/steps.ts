import type { ResolvedRecovery } from '../desired/defaults.ts';
import { formatMemory, parseQuantity } from '../lib/quantity.ts';
import { minBackoffSeconds } from './limits.ts';

// The arithmetic of remediation: the backoff schedule and the OOM raise.

/** The policy with every default filled in: ResolvedSpec.recovery (src/desired/defaults.ts). */
export type RecoveryPolicy = ResolvedRecovery;

/** Wait before the step that follows `attempts` restarts: initial x 2^attempts, capped, never below the floor (limits.ts). */
export function backoffMs(restart: RecoveryPolicy['restart'], attempts: number): number {
  const seconds = Math.min(restart.initialBackoffSeconds * 2 ** Math.min(attempts, 30), restart.maxBackoffSeconds);
  return Math.max(seconds, minBackoffSeconds) * 1000;
}

const hundredMi = 100 * 2 ** 20;

/**
 * The limit after one more OOM kill: max(limit x 1.2, limit + 100Mi) (VPA's
 * rule, applied to the limit that was hit), never above `max`. Rounded up to
 * whole Mi, the way people write limits. `capped`: the limit already is at (or
 * above) the max, so nothing can be raised.
 */
export function raisedMemory(limit: string, max: string): { to: string; capped: boolean } {
  const from = parseQuantity(limit);
  const ceiling = parseQuantity(max);
  if (from >= ceiling) return { to: limit, capped: true };
  const to = Math.min(Math.max(from * 1.2, from + hundredMi), ceiling);
  const text = formatMemory(to);
  return { to: parseQuantity(text) > ceiling ? max : text, capped: false };
}

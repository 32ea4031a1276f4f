import { ExponentialRateLimiter } from '../runtime/backoff.ts';

/**
 * The longest an Agent waits for its next try after failed reconciles.
 * controller-runtime's default caps the per-key backoff (5 ms x 2^n) at
 * 1,000 s; here a reconcile fails almost only for transient API errors (what
 * the user can fix becomes a condition, not an error), so after a network
 * fault the cap is the time to recover: with 45 s of connection resets the
 * fault-network scenario needed 97 s after the network healed for 30 Agents
 * to be Ready (a doubling more and it is 3 minutes), 8 s with 15 s of resets.
 * 30 s keeps a key that keeps failing at two tries a minute.
 */
export const agentRetryMaxMs = 30_000;

/** The Agent controller's per-Agent failure backoff. */
export function agentRateLimiter(): ExponentialRateLimiter {
  return new ExponentialRateLimiter({ maxDelayMs: agentRetryMaxMs });
}

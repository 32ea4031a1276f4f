import type { Clock, Random } from './clock.ts';

/**
 * Per-key exponential failure backoff, client-go's
 * ItemExponentialFailureRateLimiter: the n-th consecutive failure of a key
 * waits base x 2^n, capped. `forget` (on success) starts the key over.
 */
export interface RateLimiter {
  /** Delay before the key's next retry; counts one more failure. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

export interface ExponentialRateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class ExponentialRateLimiter implements RateLimiter {
  readonly #base: number;
  readonly #max: number;
  readonly #failures = new Map<string, number>();

  constructor(opts: ExponentialRateLimiterOptions = {}) {
    this.#base = opts.baseDelayMs ?? 5;
    this.#max = opts.maxDelayMs ?? 1_000_000;
  }

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const delay = this.#base * 2 ** n;
    return Number.isFinite(delay) && delay < this.#max ? delay : this.#max;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A failure this long after the previous one starts again from initialMs. */
  resetAfterMs?: number;
  /** Fraction of the delay that is randomly taken off, in [0, 1). */
  jitter?: number;
}

/**
 * Reconnect backoff for list/watch loops, shaped like client-go's reflector
 * backoff manager (800 ms doubling to 30 s, reset after 2 min without a
 * failure). Jitter is subtracted rather than added, so the cap holds and
 * replicas still spread out once they reach it.
 */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #resetAfter: number;
  readonly #jitter: number;
  readonly #clock: Clock;
  readonly #random: Random;
  #current = 0;
  #lastFailure: number | undefined;

  constructor(clock: Clock, random: Random, opts: BackoffOptions = {}) {
    this.#initial = opts.initialMs ?? 800;
    this.#max = opts.maxMs ?? 30_000;
    this.#resetAfter = opts.resetAfterMs ?? 120_000;
    this.#jitter = opts.jitter ?? 0.2;
    this.#clock = clock;
    this.#random = random;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const now = this.#clock.now();
    if (this.#lastFailure === undefined || now - this.#lastFailure > this.#resetAfter) {
      this.#current = this.#initial;
    } else {
      this.#current = Math.min(this.#current * 2, this.#max);
    }
    this.#lastFailure = now;
    return Math.round(this.#current * (1 - this.#jitter * this.#random()));
  }
}

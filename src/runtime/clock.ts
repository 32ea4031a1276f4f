// Time and randomness are injected everywhere in the runtime so that backoff,
// resync, lease expiry and timeouts are tested by advancing a fake clock
// instead of sleeping.

/** Opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = { readonly __timerHandle: unique symbol };

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `ms`, or as soon as `signal` aborts. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

export const mathRandom: Random = () => Math.random();

/** Builds `sleep` on top of a clock's own timers, so fake clocks get it for free. */
export function sleepOn(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clock.clearTimeout(handle);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const handle = clock.setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  sleep: (ms, signal) => sleepOn(realClock, ms, signal),
};

/**
 * Scales `ms` by a factor in [1 - spread, 1 + spread). Used for periods that
 * must not line up across replicas or informers (resync: 10 h +-10 %).
 */
export function spreadAround(ms: number, spread: number, random: Random): number {
  return ms * (1 - spread + 2 * spread * random());
}

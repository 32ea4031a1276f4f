import { sleepOn, type Clock, type Random, type TimerHandle } from '../../../src/runtime/clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A manual clock. `advance(ms)` fires every timer that falls due, earliest
 * first, moving `now()` to each timer's due time before firing it, and lets
 * promise continuations settle after each one, so code that awaits a timer and
 * then schedules the next one behaves as it would in real time.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2026, 10, 27, 11, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return { seq } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as unknown as { seq: number }).seq);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Number of timers not yet fired or cleared. */
  pending(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, relative to now. */
  nextDelay(): number | undefined {
    const next = this.#earliest(Number.POSITIVE_INFINITY);
    return next === undefined ? undefined : next.at - this.#now;
  }

  /** Lets pending promise continuations (and setImmediate callbacks) run. */
  async flush(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await this.flush();
    for (;;) {
      const next = this.#earliest(target);
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await this.flush();
    }
    this.#now = target;
    await this.flush();
  }

  #earliest(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** A Random that returns the given values in turn, then repeats the last one. */
export function sequenceRandom(...values: number[]): Random {
  let i = 0;
  return () => {
    const v = values[Math.min(i, values.length - 1)] ?? 0.5;
    i++;
    return v;
  };
}

export const fixedRandom = (value: number): Random => () => value;

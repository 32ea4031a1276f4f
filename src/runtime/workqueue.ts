import { ExponentialRateLimiter, type RateLimiter } from './backoff.ts';
import type { Clock, TimerHandle } from './clock.ts';

// A keyed, coalescing work queue with client-go's guarantees:
//  - a key that is already waiting is not queued twice (adds coalesce);
//  - a key added while it is being processed is held back ("dirty") and queued
//    once more when `done` is called, so one key is never processed twice at
//    once and no change is lost;
//  - low-priority adds (initial list, resync) wait behind normal ones, and a
//    normal add of a key waiting at low priority promotes it.

export type Priority = 'normal' | 'low';

export interface InflightStats {
  /** Sum of how long every in-flight item has been processed so far. */
  unfinishedSeconds: number;
  longestRunningSeconds: number;
}

/** Hooks for workqueue_* metrics; see metrics.ts for the Prometheus side. */
export interface WorkQueueMetrics {
  added(): void;
  depth(priority: Priority, items: number): void;
  queueDuration(seconds: number): void;
  workDuration(seconds: number): void;
  retried(): void;
  /** Called once; the probe is read at scrape time. */
  trackInflight(probe: () => InflightStats): void;
}

export interface AddOptions {
  lowPriority?: boolean;
}

export interface WorkQueueOptions {
  clock: Clock;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;
  /** Keys that need processing: queued, or waiting for their current run to finish. */
  readonly #dirty = new Map<string, { priority: Priority; since: number }>();
  readonly #normal = new Set<string>();
  readonly #low = new Set<string>();
  readonly #processing = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; timer: TimerHandle }>();
  readonly #getters: Array<(key: string | undefined) => void> = [];
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions) {
    this.#clock = opts.clock;
    this.#limiter = opts.rateLimiter ?? new ExponentialRateLimiter();
    this.#metrics = opts.metrics;
    this.#metrics?.trackInflight(() => this.#inflight());
  }

  add(key: string, opts: AddOptions = {}): void {
    if (this.#shuttingDown) return;
    const priority: Priority = opts.lowPriority ? 'low' : 'normal';
    const existing = this.#dirty.get(key);
    if (existing !== undefined) {
      if (existing.priority === 'low' && priority === 'normal') {
        existing.priority = 'normal';
        if (this.#low.delete(key)) this.#normal.add(key);
        this.#reportDepth();
      }
      return;
    }
    this.#metrics?.added();
    this.#dirty.set(key, { priority, since: this.#clock.now() });
    if (this.#processing.has(key)) return;
    this.#enqueue(key, priority);
  }

  /** Adds the key after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number, opts: AddOptions = {}): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key, opts);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      this.#clock.clearTimeout(pending.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key, opts);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retried();
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** Next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workDuration((this.#clock.now() - started) / 1000);
    const dirty = this.#dirty.get(key);
    if (dirty !== undefined && !this.#shuttingDown) this.#enqueue(key, dirty.priority);
  }

  /**
   * Stops handing out work at once: `get` returns undefined even if keys are
   * still queued (they are dropped), adds are ignored and delayed adds cancelled.
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
    this.#delayed.clear();
    for (const g of this.#getters.splice(0)) g(undefined);
  }

  /** Keys waiting to be handed out (not counting in-flight or delayed ones). */
  len(): number {
    return this.#normal.size + this.#low.size;
  }

  #enqueue(key: string, priority: Priority): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) {
      this.#startProcessing(key);
      getter(key);
      return;
    }
    (priority === 'normal' ? this.#normal : this.#low).add(key);
    this.#reportDepth();
  }

  #take(): string | undefined {
    const source = this.#normal.size > 0 ? this.#normal : this.#low;
    const first = source.values().next();
    if (first.done) return undefined;
    source.delete(first.value);
    this.#reportDepth();
    this.#startProcessing(first.value);
    return first.value;
  }

  #startProcessing(key: string): void {
    const now = this.#clock.now();
    const dirty = this.#dirty.get(key);
    if (dirty !== undefined) this.#metrics?.queueDuration((now - dirty.since) / 1000);
    this.#dirty.delete(key);
    this.#processing.set(key, now);
  }

  #reportDepth(): void {
    this.#metrics?.depth('normal', this.#normal.size);
    this.#metrics?.depth('low', this.#low.size);
  }

  #inflight(): InflightStats {
    const now = this.#clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.#processing.values()) {
      const s = (now - started) / 1000;
      total += s;
      longest = Math.max(longest, s);
    }
    return { unfinishedSeconds: total, longestRunningSeconds: longest };
  }
}

import { ExponentialRateLimiter, type RateLimiter } from './backoff.ts';
import type { Clock, TimerHandle } from './clock.ts';

// A keyed, coalescing work queue with client-go's guarantees:
//  - a key that is already waiting is not queued twice (adds coalesce);
//  - a key added while it is being processed is held back ("dirty") and queued
//    once more when `done` is called, so one key is never processed twice at
//    once and no change is lost;
//  - low-priority adds (initial list, resync) wait behind normal ones, and a
//    normal add of a key waiting at low priority promotes it;
//  - urgent adds (a change to act on at once: a container that just died)
//    are handed out before every other key, and also to getters that take
//    nothing else (the Controller's urgent workers), so a failure is never
//    queued behind reconciles that wait on their writes. An urgent add of a
//    key already waiting makes it urgent.

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
  /** Hand it out before everything else, also to getters that take only urgent keys. Implies normal priority. */
  urgent?: boolean;
}

export interface GetOptions {
  /** Wait for an urgent key only (a worker kept free for them). */
  urgentOnly?: boolean;
}

interface Getter {
  resolve: (key: string | undefined) => void;
  urgentOnly: boolean;
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
  readonly #dirty = new Map<string, { priority: Priority; since: number; urgent: boolean }>();
  /** Queued urgent keys, in order; each is in #normal too. */
  readonly #urgent = new Set<string>();
  readonly #normal = new Set<string>();
  readonly #low = new Set<string>();
  readonly #processing = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; timer: TimerHandle }>();
  readonly #getters: Getter[] = [];
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions) {
    this.#clock = opts.clock;
    this.#limiter = opts.rateLimiter ?? new ExponentialRateLimiter();
    this.#metrics = opts.metrics;
    this.#metrics?.trackInflight(() => this.#inflight());
  }

  add(key: string, opts: AddOptions = {}): void {
    if (this.#shuttingDown) return;
    const urgent = opts.urgent === true;
    const priority: Priority = opts.lowPriority && !urgent ? 'low' : 'normal';
    const existing = this.#dirty.get(key);
    if (existing !== undefined) {
      if (existing.priority === 'low' && priority === 'normal') {
        existing.priority = 'normal';
        if (this.#low.delete(key)) this.#normal.add(key);
        this.#reportDepth();
      }
      if (urgent && !existing.urgent) {
        existing.urgent = true;
        if (this.#normal.has(key)) {
          this.#urgent.add(key);
          this.#serve();
        }
      }
      return;
    }
    this.#metrics?.added();
    this.#dirty.set(key, { priority, since: this.#clock.now(), urgent });
    if (this.#processing.has(key)) return;
    this.#enqueue(key, priority, urgent);
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

  /** Next key to process (urgent ones first), or undefined once the queue is shut down. */
  get(opts: GetOptions = {}): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const urgentOnly = opts.urgentOnly === true;
    const key = this.#take(urgentOnly);
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push({ resolve, urgentOnly }));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workDuration((this.#clock.now() - started) / 1000);
    const dirty = this.#dirty.get(key);
    if (dirty !== undefined && !this.#shuttingDown) this.#enqueue(key, dirty.priority, dirty.urgent);
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
    for (const g of this.#getters.splice(0)) g.resolve(undefined);
  }

  /** Keys waiting to be handed out (not counting in-flight or delayed ones). */
  len(): number {
    return this.#normal.size + this.#low.size;
  }

  #enqueue(key: string, priority: Priority, urgent: boolean): void {
    (priority === 'normal' ? this.#normal : this.#low).add(key);
    if (urgent) this.#urgent.add(key);
    this.#reportDepth();
    this.#serve();
  }

  /** Hands queued keys to waiting getters, first come first served, each getter only what it takes. */
  #serve(): void {
    for (let i = 0; i < this.#getters.length && this.len() > 0;) {
      const getter = this.#getters[i]!;
      const key = this.#take(getter.urgentOnly);
      if (key === undefined) {
        i++;
        continue;
      }
      this.#getters.splice(i, 1);
      getter.resolve(key);
    }
  }

  #take(urgentOnly: boolean): string | undefined {
    const urgent = this.#urgent.values().next();
    let key: string;
    if (!urgent.done) {
      key = urgent.value;
      this.#urgent.delete(key);
      this.#normal.delete(key);
    } else {
      if (urgentOnly) return undefined;
      const source = this.#normal.size > 0 ? this.#normal : this.#low;
      const first = source.values().next();
      if (first.done) return undefined;
      key = first.value;
      source.delete(key);
    }
    this.#reportDepth();
    this.#startProcessing(key);
    return key;
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

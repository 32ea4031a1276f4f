import { isConflict } from './api-error.ts';
import type { RateLimiter } from './backoff.ts';
import { mathRandom, realClock, spreadAround, type Clock, type Random, type TimerHandle } from './clock.ts';
import type { InformerHandler, InformerView } from './informer.ts';
import { splitKey, type KubeObject } from './kube-object.ts';
import { noopLogger, type Logger } from './logger.ts';
import { toControllerOwner, toSelf, type Mapper } from './mappers.ts';
import { primaryChanged, type Predicate } from './predicates.ts';
import { withRequestSignal } from './request-scope.ts';
import { WorkQueue, type WorkQueueMetrics } from './workqueue.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { randomUUID } = process.getBuiltinModule('node:crypto');

/** How long aborted reconciles get to unwind before stop() returns anyway. */
const abortSettleMs = 5_000;

/** A failure retrying cannot fix (invalid spec, ...): counted and logged, not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** True when the error, or any error in its `cause` chain, is a TerminalError. */
export function isTerminal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

/** `requeueAfter` (ms) asks for another reconcile later; nothing means done until something changes. */
export type Result = { requeueAfter?: number } | undefined | void;

export interface ReconcileContext {
  /**
   * Aborted when shutdown's drain deadline passes or leadership is lost: stop
   * and return. Every API request the reconcile makes carries it already.
   */
  signal: AbortSignal;
  /** Carries controller, reconcileID, namespace and name on every line. */
  log: Logger;
  reconcileId: string;
  namespace: string | undefined;
  name: string;
}

export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<Result>;

export type ReconcileOutcome = 'success' | 'error' | 'requeue_after';

/** Hooks for controller_runtime_* metrics; see metrics.ts. */
export interface ControllerMetrics {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  failed(terminal: boolean): void;
  maxWorkers(n: number): void;
  activeWorkers(delta: number): void;
}

export interface ControllerMetricsProvider {
  controller(name: string): ControllerMetrics;
  workqueue(name: string): WorkQueueMetrics;
}

export interface ControllerOptions {
  /** Names the queue and the metrics, and appears in every log line. */
  name: string;
  reconcile: Reconciler;
  /** Concurrent reconciles (different keys only). controller-runtime's default is 1. */
  workers?: number;
  /**
   * Extra workers that take only urgent keys (WatchOptions.urgent), so an
   * urgent change is reconciled at once even while every worker waits on
   * the writes of other keys' reconciles. Default 0.
   */
  urgentWorkers?: number;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  metrics?: ControllerMetricsProvider;
  rateLimiter?: RateLimiter;
  /** How long `stop` waits for in-flight reconciles. */
  shutdownTimeoutMs?: number;
  /** Every primary is reconciled again (low priority) after this period, +-10 %. */
  resyncPeriodMs?: number;
  newReconcileId?: () => string;
  /**
   * Which keys this replica reconciles (default: all). Sharding's filter
   * (src/runtime/shards.ts): a key it refuses is neither queued nor, if
   * queued before its shard was lost, reconciled.
   */
  accepts?: (key: string) => boolean;
}

export interface WatchOptions<T> {
  predicate?: Predicate<T>;
  /** Include this source's objects in the periodic resync (the primary). */
  resync?: boolean;
  /** Changes to act on at once (a container that died): queued urgent (workqueue.ts), ahead of everything else. */
  urgent?: (old: T | undefined, obj: T) => boolean;
  /**
   * Objects of a first list that show a failure (a pod crash-looping when the
   * operator starts): their keys are queued at normal priority instead of the
   * first list's low, so after a restart a failing Agent is not reconciled
   * behind every settled one.
   */
  failingAtStart?: (obj: T) => boolean;
}

interface Source {
  informer: InformerView<KubeObject>;
  handler: InformerHandler<KubeObject>;
  resyncMap: Mapper<KubeObject> | undefined;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #reconcile: Reconciler;
  readonly #workers: number;
  readonly #urgentWorkers: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #shutdownTimeoutMs: number;
  readonly #resyncPeriodMs: number;
  readonly #newId: () => string;
  readonly #accepts: (key: string) => boolean;
  readonly #sources: Source[] = [];
  readonly #unsubscribe: Array<() => void> = [];
  /** Aborted at the shutdown deadline; every reconcile's ctx.signal. */
  readonly #abort = new AbortController();
  #loops: Array<Promise<void>> = [];
  #resyncTimer: TimerHandle | undefined;
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.#reconcile = opts.reconcile;
    this.#workers = Math.max(1, opts.workers ?? 1);
    this.#urgentWorkers = Math.max(0, opts.urgentWorkers ?? 0);
    this.#log = (opts.logger ?? noopLogger).child({ controller: opts.name });
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? mathRandom;
    this.#metrics = opts.metrics?.controller(opts.name);
    this.#shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 30_000;
    this.#resyncPeriodMs = opts.resyncPeriodMs ?? 10 * 3600_000;
    this.#newId = opts.newReconcileId ?? randomUUID;
    this.#accepts = opts.accepts ?? (() => true);
    this.queue = new WorkQueue({
      clock: this.#clock,
      ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
      ...(opts.metrics ? { metrics: opts.metrics.workqueue(opts.name) } : {}),
    });
  }

  /** The primary resource: keyed by itself, filtered by `primaryChanged` unless told otherwise, resynced. */
  forPrimary<T extends KubeObject>(informer: InformerView<T>, predicate: Predicate<T> = primaryChanged): this {
    return this.watch(informer, toSelf, { predicate, resync: true });
  }

  /** Objects this controller creates, mapped to their controller owner. */
  owns<T extends KubeObject>(informer: InformerView<T>, owner: { group: string; kind: string }, predicate?: Predicate<T>): this {
    return this.watch(informer, toControllerOwner(owner), predicate ? { predicate } : {});
  }

  /** Any informer, any mapping. Handlers attach on `start`, so events before that are not queued. */
  watch<T extends KubeObject>(informer: InformerView<T>, map: Mapper<T>, opts: WatchOptions<T> = {}): this {
    if (this.#started) throw new Error(`controller ${this.name}: watch() after start()`);
    const predicate = opts.predicate ?? {};
    // The caller's functions: one that throws is logged and its event taken as if it had said `fallback`.
    const guarded = <A extends unknown[], R>(fn: (...args: A) => R, fallback: R, failed: string) => (...args: A): R => {
      try {
        return fn(...args);
      } catch (err) {
        this.#log.error({ err, informer: informer.name }, failed);
        return fallback;
      }
    };
    const keysOf = guarded(map, [], 'mapping an event to keys failed');
    const urgent = guarded((old: T | undefined, obj: T) => opts.urgent?.(old, obj) ?? false, false, 'judging an event urgent failed');
    const failing = guarded((obj: T) => opts.failingAtStart?.(obj) ?? false, false, 'judging a listed object failing failed');
    // A first list's objects wait at low priority, but for those failing as listed.
    const low = (obj: T, initial: boolean): boolean => initial && !failing(obj);
    const enqueue = (keys: Iterable<string>, lowPriority: boolean, urgent = false): void => {
      for (const key of keys) if (this.#accepts(key)) this.queue.add(key, { lowPriority, urgent });
    };
    const handler: InformerHandler<T> = {
      onAdd: (obj, meta) => {
        if (predicate.create?.(obj, meta) ?? true) enqueue(keysOf(obj), low(obj, meta.initial), !meta.initial && urgent(undefined, obj));
      },
      onUpdate: (old, obj, meta) => {
        // Both sides: an owner reference or a reference that moved must wake the old primary too.
        if (predicate.update?.(old, obj, meta) ?? true) enqueue(new Set([...keysOf(old), ...keysOf(obj)]), low(obj, meta.initial), !meta.initial && urgent(old, obj));
      },
      onDelete: (obj, meta) => {
        if (predicate.delete?.(obj, meta) ?? true) enqueue(keysOf(obj), false);
      },
    };
    this.#sources.push({
      informer,
      handler: handler as InformerHandler<KubeObject>,
      resyncMap: opts.resync ? (keysOf as Mapper<KubeObject>) : undefined,
    });
    return this;
  }

  /**
   * Attaches to the informers (what they hold already is queued at low
   * priority), waits for their caches, then starts the workers. Resolves false
   * if `signal` aborts before the caches synced.
   */
  async start(signal?: AbortSignal): Promise<boolean> {
    if (this.#started) return true;
    if (this.#stopping !== undefined) return false;
    this.#started = true;
    for (const s of this.#sources) this.#unsubscribe.push(s.informer.addHandler(s.handler));
    const synced = await Promise.all(this.#sources.map((s) => s.informer.waitForSync(signal)));
    if (!synced.every(Boolean) || this.#stopping !== undefined) return false;
    this.#metrics?.maxWorkers(this.#workers + this.#urgentWorkers);
    this.#scheduleResync();
    this.#log.info({ workers: this.#workers, urgentWorkers: this.#urgentWorkers }, 'starting workers');
    for (let i = 0; i < this.#workers; i++) this.#loops.push(this.#worker(false));
    for (let i = 0; i < this.#urgentWorkers; i++) this.#loops.push(this.#worker(true));
    return true;
  }

  /**
   * Graceful stop: take no new work, let in-flight reconciles finish for up to
   * `timeoutMs`, then abort their signal and return without waiting further.
   */
  stop(timeoutMs: number = this.#shutdownTimeoutMs): Promise<void> {
    this.#stopping ??= this.#stop(timeoutMs);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
    this.queue.shutDown();
    const deadline = new AbortController();
    const drained = Promise.all(this.#loops).then(() => true);
    const finished = await Promise.race([drained, this.#clock.sleep(timeoutMs, deadline.signal).then(() => false)]);
    deadline.abort();
    if (!finished) {
      this.#log.warn({ timeoutMs }, 'reconciles still running at the shutdown deadline; cancelling their requests');
      this.#abort.abort();
      // Their requests carry the aborted signal (request-scope.ts) and fail
      // at once, so the reconciles end within moments; wait for that (a
      // little, never forever) so the caller releases the Lease only after
      // the last write of this replica is settled.
      const settle = new AbortController();
      const settled = await Promise.race([drained, this.#clock.sleep(abortSettleMs, settle.signal).then(() => false)]);
      settle.abort();
      if (!settled) this.#log.warn({ abortSettleMs }, 'reconciles ignored the abort; going on without them');
    }
  }

  async #worker(urgentOnly: boolean): Promise<void> {
    for (;;) {
      const key = await this.queue.get({ urgentOnly });
      if (key === undefined) return;
      try {
        if (this.#accepts(key)) await this.#reconcileOne(key);
        else this.queue.forget(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #reconcileOne(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const reconcileId = this.#newId();
    const log = this.#log.child({ reconcileID: reconcileId, namespace, name });
    const started = this.#clock.now();
    this.#metrics?.activeWorkers(1);
    let outcome: ReconcileOutcome;
    try {
      const ctx: ReconcileContext = { signal: this.#abort.signal, log, reconcileId, namespace, name };
      // Every request the reconcile makes carries ctx.signal (request-scope.ts).
      const result = await withRequestSignal(ctx.signal, () => Promise.resolve().then(() => this.#reconcile(key, ctx)));
      const after = result?.requeueAfter ?? 0;
      this.queue.forget(key);
      if (after > 0) {
        this.queue.addAfter(key, after);
        outcome = 'requeue_after';
      } else {
        outcome = 'success';
      }
    } catch (err) {
      outcome = 'error';
      const terminal = isTerminal(err);
      this.#metrics?.failed(terminal);
      if (!terminal) this.queue.addRateLimited(key);
      // A 409 means the object changed since it was read (a stale cache): the
      // retry reads it fresh. Expected, so not an error line.
      if (isConflict(err)) log.info({ requeues: this.queue.numRequeues(key) }, 'object changed since it was read; retrying');
      else log.error({ err, terminal, requeues: this.queue.numRequeues(key) }, 'Reconciler error');
    } finally {
      this.#metrics?.activeWorkers(-1);
    }
    this.#metrics?.reconciled(outcome, (this.#clock.now() - started) / 1000);
  }

  /**
   * Queues every primary in the cache (at low priority) that `accepts`
   * takes and `which` picks: the periodic resync, and what a replica does on
   * gaining a shard (that shard's keys only).
   */
  resync(which: (key: string) => boolean = () => true): void {
    for (const s of this.#sources) {
      if (s.resyncMap === undefined) continue;
      for (const obj of s.informer.store.list()) {
        for (const key of s.resyncMap(obj)) if (which(key) && this.#accepts(key)) this.queue.add(key, { lowPriority: true });
      }
    }
  }

  #scheduleResync(): void {
    if (!this.#sources.some((s) => s.resyncMap)) return;
    const period = spreadAround(this.#resyncPeriodMs, 0.1, this.#random);
    this.#resyncTimer = this.#clock.setTimeout(() => {
      this.resync();
      this.#scheduleResync();
    }, period);
  }
}

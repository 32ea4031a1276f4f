import { isGone, isTooManyRequests, KubeApiError } from './api-error.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { mathRandom, realClock, type Clock, type Random, type TimerHandle } from './clock.ts';
import { objectKey, toCached, type KubeObject } from './kube-object.ts';
import type { ListPage, ListWatcher, WatchEvent } from './list-watch.ts';
import { noopLogger, type Logger } from './logger.ts';
import { Store, type IndexFunc, type ReadonlyStore } from './store.ts';
import { abortable } from './abortable.ts';
import { HandlerSet, type InformerHandler } from './event-handlers.ts';

// An informer owns its list/watch loop (client-node's informer stops for good
// after most errors, so it is not used): list, then watch from the list's
// resourceVersion with bookmarks; re-watch from the last seen resourceVersion
// when a watch ends; relist on 410 Gone and after API errors; back off with
// jitter on every failure; and never give up.

export type { EventMeta, InformerHandler } from './event-handlers.ts';

/** A watch with no event (bookmarks included) for this long is dead. Bookmarks come about every minute. */
const inactivityTimeoutMs = 120_000;
/** Watches ask the server to close them after a random time in [min, 2 x min) seconds. */
const minWatchTimeoutSeconds = 300;

export interface InformerOptions<T extends KubeObject> {
  /** Used in logs, e.g. `agents` or `secrets (metadata)`. */
  name: string;
  listWatcher: ListWatcher<T>;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Keep only apiVersion, kind and metadata of each object. */
  metadataOnly?: boolean;
  /**
   * What the cache keeps of each object, applied before it is stored (and
   * before managedFields are dropped and the copy frozen), as
   * controller-runtime's cache TransformFunc: strip what no reader uses, so
   * memory follows what the operator reads, not what the apiserver sends.
   * Handlers and the store see only the transformed object. Must not mutate its argument.
   */
  transform?: (obj: T) => T;
  pageSize?: number;
  listPageTimeoutMs?: number;
  /** `healthy()` turns false when the loop has made no progress for this long. */
  staleAfterMs?: number;
  backoff?: BackoffOptions;
}

/**
 * An informer as its users see it: without its private state, so an Informer
 * of any kind of object is an InformerView<KubeObject> (methods compare
 * bivariantly) and caches of many kinds are handled alike without a cast.
 */
export type InformerView<T extends KubeObject> = Pick<Informer<T>, 'name' | 'store' | 'addIndex' | 'addHandler' | 'start' | 'stop' | 'waitForSync' | 'ready' | 'healthy'>;

/** Thrown inside the loop when a watch has been silent for longer than the inactivity timeout. */
export class WatchInactiveError extends Error {
  constructor(ms: number) {
    super(`watch silent for ${ms} ms, reconnecting`);
    this.name = 'WatchInactiveError';
  }
}

export class Informer<T extends KubeObject> {
  readonly name: string;
  readonly #lw: ListWatcher<T>;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #metadataOnly: boolean;
  readonly #transform: ((obj: T) => T) | undefined;
  readonly #pageSize: number;
  readonly #listPageTimeoutMs: number;
  readonly #staleAfterMs: number;
  readonly #backoff: Backoff;
  readonly #store: Store<T>;
  readonly #handlers: HandlerSet<T>;
  readonly #stop = new AbortController();
  #syncWaiters: Array<() => void> = [];
  #running: Promise<void> | undefined;
  #synced = false;
  #resourceVersion = '';
  #lastContact: number | undefined;
  #lastProgress = 0;

  constructor(opts: InformerOptions<T>) {
    this.name = opts.name;
    this.#lw = opts.listWatcher;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? mathRandom;
    this.#log = (opts.logger ?? noopLogger).child({ informer: opts.name });
    this.#metadataOnly = opts.metadataOnly ?? false;
    this.#transform = opts.transform;
    this.#pageSize = opts.pageSize ?? 500;
    this.#listPageTimeoutMs = opts.listPageTimeoutMs ?? 120_000;
    this.#staleAfterMs = opts.staleAfterMs ?? 300_000;
    this.#backoff = new Backoff(this.#clock, this.#random, opts.backoff);
    this.#store = new Store<T>((index, err) => this.#log.error({ err, index }, 'index function failed'));
    this.#handlers = new HandlerSet<T>(this.#log);
  }

  get store(): ReadonlyStore<T> {
    return this.#store;
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#store.addIndex(name, fn);
  }

  /** Objects already cached are replayed to the new handler as initial adds. Returns an unsubscribe function. */
  addHandler(handler: InformerHandler<T>): () => void {
    return this.#handlers.add(handler, this.#synced ? this.#store.list() : []);
  }

  start(): void {
    if (this.#running !== undefined) return;
    this.#lastProgress = this.#clock.now();
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    for (const w of this.#syncWaiters.splice(0)) w();
  }

  /** Resolves true once synced, false if the signal aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted || this.#stop.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve(this.#synced);
      };
      signal?.addEventListener('abort', done, { once: true });
      this.#syncWaiters.push(done);
    });
  }

  /**
   * Readiness (/readyz): synced, and the cache has taken something in from
   * the apiserver (a list, a watch start, an event or bookmark) within
   * staleAfterMs. Bookmarks come about every minute (once the apiserver's
   * watch cache of the type has a resourceVersion) and a silent watch is
   * replaced after 2, so a current cache always has; one that has not may be
   * missing anything since, and says so instead of serving it as current.
   */
  ready(): boolean {
    return this.#synced && this.#lastContact !== undefined && this.#clock.now() - this.#lastContact <= this.#staleAfterMs;
  }

  /**
   * Liveness: the loop is running and making progress (events, reconnects, or
   * retries on schedule). An unreachable apiserver alone does not make it
   * unhealthy, since restarting the process would not help; a wedged loop does.
   */
  healthy(): boolean {
    if (this.#running === undefined || this.#stop.signal.aborted) return false;
    return this.#clock.now() - this.#lastProgress <= this.#staleAfterMs;
  }

  async #run(): Promise<void> {
    let relist = true;
    while (!this.#stop.signal.aborted) {
      let failure: unknown;
      try {
        if (relist) {
          await this.#listAndReplace();
          relist = false;
        }
        if (this.#stop.signal.aborted) break;
        if ((await this.#watchOnce()) === 'ended') continue;
        failure = new Error('watch closed at once without events');
        relist = true;
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        failure = err;
        relist ||= err instanceof KubeApiError && !isTooManyRequests(err);
      }
      const delay = this.#retryDelay(failure);
      this.#progress();
      // A silent watch replaced is routine, like one the apiserver ended: the
      // apiserver sends bookmarks only once its watch cache of the type has a
      // resourceVersion (an event, or etcd's progress notify, 10 min by
      // default), so a quiet type on a young apiserver is replaced every 2
      // min. Debug, so nothing is serialised at the default level (idle CPU).
      const level = failure instanceof WatchInactiveError ? 'debug' : isGone(failure) ? 'info' : 'warn';
      try {
        this.#log[level]({ err: failure, relist, retryInMs: delay }, 'list/watch interrupted');
      } catch {
        // A broken logger must not end the loop.
      }
      await this.#clock.sleep(delay, this.#stop.signal);
    }
  }

  #retryDelay(err: unknown): number {
    const backoff = this.#backoff.next();
    if (isTooManyRequests(err) && err.retryAfterSeconds !== undefined) {
      return Math.max(backoff, err.retryAfterSeconds * 1000);
    }
    return backoff;
  }

  async #listAndReplace(): Promise<void> {
    // Each page is taken in as the cache keeps it before the next is asked
    // for: the apiserver's objects (managedFields and all) are garbage page
    // by page, so a relist of thousands holds them whole one page at a time.
    const items: Taken<T>[] = [];
    let resourceVersion = '';
    let cont: string | undefined;
    let limit: number | undefined = this.#pageSize;
    for (;;) {
      let page: ListPage<T>;
      try {
        page = await this.#listPage(limit, cont);
      } catch (err) {
        // The continue token outlived etcd's compaction: fall back to one unpaged list.
        if (cont === undefined || !isGone(err)) throw err;
        items.length = 0;
        cont = undefined;
        limit = undefined;
        continue;
      }
      this.#progress();
      for (const raw of page.items) items.push(this.#cacheable(raw) ?? { unreadable: safeKey(raw) });
      resourceVersion = page.resourceVersion;
      if (!page.continue) break;
      cont = page.continue;
    }
    this.#replace(items, resourceVersion);
    this.#contact();
  }

  async #listPage(limit: number | undefined, cont: string | undefined): Promise<ListPage<T>> {
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(), this.#listPageTimeoutMs);
    const signal = AbortSignal.any([this.#stop.signal, timeout.signal]);
    try {
      const list = this.#lw.list({
        ...(limit !== undefined ? { limit } : {}),
        ...(cont !== undefined ? { continue: cont } : {}),
        signal,
      });
      return await abortable(list, signal);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  /** Brings the cache in line with a full list, emitting what changed since the last one. */
  #replace(items: readonly Taken<T>[], resourceVersion: string): void {
    const initial = !this.#synced;
    const fresh = new Map<string, T>();
    for (const obj of items) {
      if (!('unreadable' in obj)) {
        fresh.set(objectKey(obj), obj);
        continue;
      }
      // One object that cannot be cached must not drop the last good version we hold of it.
      const held = this.#store.getByKey(obj.unreadable);
      if (held !== undefined) fresh.set(obj.unreadable, held);
    }
    for (const [key, old] of [...this.#store.entries()]) {
      if (fresh.has(key)) continue;
      this.#store.delete(key);
      this.#handlers.deleted(old, { initial: false, finalStateUnknown: true });
    }
    for (const obj of fresh.values()) this.#put(obj, initial);
    this.#resourceVersion = resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      this.#log.info({ objects: fresh.size }, 'cache synced');
      for (const w of this.#syncWaiters.splice(0)) w();
    }
  }

  /** Runs one watch to its end. 'short' is client-go's "very short watch": treated as a failure. */
  async #watchOnce(): Promise<'ended' | 'short'> {
    const ac = new AbortController();
    const signal = AbortSignal.any([this.#stop.signal, ac.signal]);
    let silent = false;
    let timer: TimerHandle | undefined;
    const arm = (): void => {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      timer = this.#clock.setTimeout(() => {
        silent = true;
        ac.abort();
      }, inactivityTimeoutMs);
    };
    const started = this.#clock.now();
    let events = 0;
    arm();
    try {
      const watch = this.#lw.watch({
        resourceVersion: this.#resourceVersion,
        timeoutSeconds: Math.floor(minWatchTimeoutSeconds * (1 + this.#random())),
        allowWatchBookmarks: true,
        signal,
      });
      const stream = await abortable(watch, signal);
      this.#contact();
      arm();
      for await (const event of stream) {
        arm();
        events++;
        this.#apply(event);
        this.#contact();
      }
      if (silent) throw new WatchInactiveError(inactivityTimeoutMs);
      return events === 0 && this.#clock.now() - started < 1000 ? 'short' : 'ended';
    } catch (err) {
      throw silent ? new WatchInactiveError(inactivityTimeoutMs) : err;
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      ac.abort();
    }
  }

  #apply(event: WatchEvent<T>): void {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.#cacheable(event.object);
        if (obj === undefined) {
          // Skipped (and logged): the last good version stays, the watch goes on.
          this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
          return;
        }
        this.#resourceVersion = obj.metadata?.resourceVersion ?? this.#resourceVersion;
        this.#put(obj, false);
        return;
      }
      case 'DELETED': {
        const obj = this.#toCached(event.object);
        this.#resourceVersion = obj.metadata?.resourceVersion ?? this.#resourceVersion;
        this.#store.delete(objectKey(obj));
        this.#handlers.deleted(obj, { initial: false });
        return;
      }
      case 'BOOKMARK':
        this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
        return;
      case 'ERROR':
        throw KubeApiError.fromStatus(event.object);
    }
  }

  /** Stores the object; an add, or an update when its resourceVersion moved (a relist re-delivers unchanged ones). */
  #put(obj: T, initial: boolean): void {
    const old = this.#store.set(obj);
    if (old === undefined) this.#handlers.added(obj, { initial });
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#handlers.updated(old, obj, { initial: false });
  }

  /**
   * The object as the cache keeps it, or undefined when that fails: one
   * object the apiserver returned and we cannot take in is reported and left
   * out, so it never stops the others (a throw here would fail the list or
   * the watch, and the same object would fail the retry for ever).
   */
  #cacheable(raw: T): T | undefined {
    try {
      return this.#toCached(raw);
    } catch (err) {
      try {
        this.#log.error({ err, object: safeKey(raw) }, 'could not cache an object; skipping it');
      } catch {
        // A broken logger must not end the loop.
      }
      return undefined;
    }
  }

  #toCached(raw: T): T {
    return toCached(this.#transform ? this.#transform(raw) : raw, this.#metadataOnly);
  }

  #contact(): void {
    this.#lastContact = this.#lastProgress = this.#clock.now();
  }

  #progress(): void {
    this.#lastProgress = this.#clock.now();
  }
}

/** A listed object as the cache keeps it, or the key of one it could not take in. */
type Taken<T> = T | { unreadable: string };

/** The object's key without trusting its shape (it may be exactly what failed). */
function safeKey(raw: unknown): string {
  try {
    return objectKey(raw as KubeObject);
  } catch {
    return '(unreadable)';
  }
}

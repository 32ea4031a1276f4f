import { hostname } from 'node:os';
import { mathRandom, realClock, type Clock, type Random } from './clock.ts';
import { noopLogger, type Logger } from './logger.ts';
import { microTime } from '../lib/time.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { randomUUID } = process.getBuiltinModule('node:crypto');

// Lease-based leader election with client-go's algorithm: a lease counts as
// expired when its record has not changed for leaseDuration *as observed on our
// own clock* (so clock skew between replicas does not matter); the leader
// renews every retryPeriod and gives up when it could not renew for
// renewDeadline; updates carry the resourceVersion, so of two candidates only
// one wins (409 for the other).

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with exactly 6 fractional digits. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [field: string]: unknown;
}

export interface LeaseRecord {
  spec: LeaseSpec;
  resourceVersion: string;
}

/** Lease I/O. `create` and `update` throw LeaseConflictError when someone else got there first. */
export interface LeaseStore {
  readonly description: string;
  get(signal: AbortSignal): Promise<LeaseRecord | undefined>;
  create(spec: LeaseSpec, signal: AbortSignal): Promise<LeaseRecord>;
  update(lease: LeaseRecord, signal: AbortSignal): Promise<LeaseRecord>;
}

export class LeaseConflictError extends Error {
  constructor(message = 'lease changed concurrently') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

export interface LeaderElectionMetrics {
  leading(isLeader: boolean): void;
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  metrics?: LeaderElectionMetrics;
  onStartedLeading?: () => void;
  /** Leadership was lost (not on a graceful stop). The process should exit at once. */
  onStoppedLeading?: () => void;
  /**
   * Asked before taking a lease nobody holds (absent, or released by a
   * graceful stop), with how long it has been seen free: false waits for the
   * next period. A lease whose holder stopped renewing is taken at expiry
   * without asking. Shards use it to let a replica holding fewer shards take
   * a free one first (src/runtime/shards.ts).
   */
  mayTakeFree?: (freeForMs: number) => boolean;
}

/** client-go's ratio check between RenewDeadline and RetryPeriod. */
const JITTER = 1.2;
/**
 * Jitter of a standby's polling: RetryPeriod x [1, 1.2). client-go adds up to
 * 120 %, which spreads many candidates but makes a standby see a dead
 * leader's last renew up to 4.4 s late; with a handful of replicas 20 % is
 * spread enough, and a takeover stays within LeaseDuration + RetryPeriod.
 */
const POLL_JITTER = 0.2;

export function validateTimings(leaseDurationMs: number, renewDeadlineMs: number, retryPeriodMs: number): void {
  if (!(retryPeriodMs > 0)) throw new Error('leader election: retryPeriod must be positive');
  if (!(leaseDurationMs > renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  if (!(renewDeadlineMs > JITTER * retryPeriodMs)) throw new Error('leader election: renewDeadline must be greater than 1.2 x retryPeriod');
}

export class LeaderElector {
  readonly identity: string;
  readonly #store: LeaseStore;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #metrics: LeaderElectionMetrics | undefined;
  readonly #onStarted: () => void;
  readonly #onStopped: () => void;
  readonly #mayTakeFree: (freeForMs: number) => boolean;
  readonly #stop = new AbortController();
  #observed: LeaseRecord | undefined;
  #observedAt = 0;
  /** When the lease was first seen free (absent or released) in the current free spell. */
  #freeSince: number | undefined;
  #leading = false;
  #running: Promise<void> | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.#leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    validateTimings(this.#leaseDurationMs, this.#renewDeadlineMs, this.#retryPeriodMs);
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
    this.#store = opts.store;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? mathRandom;
    this.#log = (opts.logger ?? noopLogger).child({ lease: opts.store.description, identity: this.identity });
    this.#metrics = opts.metrics;
    this.#onStarted = opts.onStartedLeading ?? (() => {});
    this.#onStopped = opts.onStoppedLeading ?? (() => {});
    this.#mayTakeFree = opts.mayTakeFree ?? (() => true);
    this.#metrics?.leading(false);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops renewing and, if leading, releases the lease so a successor takes over at once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    if (!this.#leading) return;
    this.#setLeading(false);
    await this.#release();
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      if (await this.#attempt()) break;
      await this.#clock.sleep(this.#nextAttemptInMs(), stop);
    }
    if (stop.aborted) return;
    this.#setLeading(true);
    this.#log.info({}, 'acquired leadership');
    this.#onStarted();
    let lastRenew = this.#clock.now();
    for (;;) {
      await this.#clock.sleep(this.#retryPeriodMs, stop);
      if (stop.aborted) return;
      const deadline = lastRenew + this.#renewDeadlineMs;
      if (await this.#attempt(deadline)) {
        lastRenew = this.#clock.now();
      } else if (this.#clock.now() >= deadline || this.#observed?.spec.holderIdentity !== this.identity) {
        this.#setLeading(false);
        this.#log.error({ renewDeadlineMs: this.#renewDeadlineMs, holder: this.#observed?.spec.holderIdentity || undefined }, 'lost leadership: could not renew the lease in time');
        this.#onStopped();
        return;
      }
    }
  }

  /**
   * The jittered retry period (2 s x [1, 1.2)), but never past the
   * moment the observed lease expires: a standby then tries right at expiry
   * instead of up to 4.4 s later, which keeps a takeover after a crash well
   * within LeaseDuration + RetryPeriod.
   */
  #nextAttemptInMs(): number {
    const jittered = this.#retryPeriodMs * (1 + POLL_JITTER * this.#random());
    const spec = this.#observed?.spec;
    if (!spec?.holderIdentity || spec.holderIdentity === this.identity) return jittered;
    const expiresIn = this.#observedAt + (spec.leaseDurationSeconds ?? 0) * 1000 - this.#clock.now();
    return Math.min(jittered, Math.max(0, expiresIn) + 1);
  }

  /** One tryAcquireOrRenew, bounded by `deadline` (epoch ms) so a hung request cannot outlive it. */
  async #attempt(deadline = this.#clock.now() + this.#renewDeadlineMs): Promise<boolean> {
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(), Math.max(0, deadline - this.#clock.now()));
    const signal = AbortSignal.any([timeout.signal, this.#stop.signal]);
    try {
      const aborted = new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
      return await Promise.race([this.#tryAcquireOrRenew(signal), aborted]);
    } catch (err) {
      this.#log.warn({ err }, 'lease acquire/renew failed');
      return false;
    } finally {
      this.#clock.clearTimeout(timer);
      timeout.abort();
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    const mine: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.#leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    // client-go's fast path: the leader updates the lease it last wrote,
    // without reading it first (one request per renew, not two; renewing is
    // most of an idle operator's requests). The resourceVersion precondition
    // keeps it safe: a lease changed by anyone else is refused (409), and
    // then it is read and decided on as below.
    const last = this.#observed;
    if (this.#leading && last?.spec.holderIdentity === this.identity && this.#observedAt + this.#leaseDurationMs > now) {
      try {
        this.#observed = await this.#store.update({ spec: { ...last.spec, ...mine, acquireTime: last.spec.acquireTime ?? mine.acquireTime, leaseTransitions: last.spec.leaseTransitions ?? 0 }, resourceVersion: last.resourceVersion }, signal);
        this.#observedAt = this.#clock.now();
        return true;
      } catch (err) {
        if (signal.aborted) throw err;
        this.#log.debug({ err }, 'optimistic lease renew refused; reading the lease');
      }
    }
    const current = await this.#store.get(signal);
    if (current !== undefined && (this.#observed === undefined || !sameRecord(this.#observed.spec, current.spec))) {
      this.#observed = current;
      this.#observedAt = now;
    }
    if (current === undefined) this.#observed = undefined;
    if (current === undefined || !current.spec.holderIdentity) {
      this.#freeSince ??= now;
      if (!this.#mayTakeFree(now - this.#freeSince)) return false;
    } else {
      this.#freeSince = undefined;
    }
    if (current === undefined) {
      return this.#write(() => this.#store.create(mine, signal));
    }
    const holder = current.spec.holderIdentity ?? '';
    const durationMs = (current.spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && this.#observedAt + durationMs > now) return false;
    const renewing = holder === this.identity;
    const spec: LeaseSpec = {
      ...current.spec,
      ...mine,
      acquireTime: renewing ? (current.spec.acquireTime ?? mine.acquireTime) : mine.acquireTime,
      leaseTransitions: (current.spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
    };
    return this.#write(() => this.#store.update({ spec, resourceVersion: current.resourceVersion }, signal));
  }

  async #write(write: () => Promise<LeaseRecord>): Promise<boolean> {
    try {
      this.#observed = await write();
      this.#observedAt = this.#clock.now();
      return true;
    } catch (err) {
      if (!(err instanceof LeaseConflictError)) throw err;
      this.#log.debug({}, 'lease changed under us; retrying next period');
      return false;
    }
  }

  /** client-go's release: empty holder, 1 s duration, so any candidate may take it now. */
  async #release(): Promise<void> {
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(), this.#renewDeadlineMs);
    const signal = timeout.signal;
    try {
      const current = await this.#store.get(signal);
      if (current === undefined || current.spec.holderIdentity !== this.identity) return;
      const now = microTime(this.#clock.now());
      await this.#store.update(
        {
          spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
          resourceVersion: current.resourceVersion,
        },
        signal,
      );
      this.#log.info({}, 'released the lease');
    } catch (err) {
      this.#log.warn({ err }, 'could not release the lease; a successor takes over when it expires');
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#metrics?.leading(leading);
  }
}

function sameRecord(a: LeaseSpec, b: LeaseSpec): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions
  );
}

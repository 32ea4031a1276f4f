import { LeaderElector, type LeaderElectorOptions, type LeaseStore } from './leader-election.ts';
import { realClock, type Clock } from './clock.ts';
import { noopLogger, type Logger } from './logger.ts';

// Sharding: the Agents split into N shards by a stable hash of their key
// (namespace/name), one Lease per shard. Every replica campaigns for every
// shard with the ordinary elector (src/runtime/leader-election.ts), so a
// replica may hold several shards and a dead replica's shards are taken over
// by the survivors when their leases expire, within the same bounds as the
// single leader. A replica reconciles only the keys of the shards it holds
// (the controller's `accepts`). Losing a shard ends the process, exactly as
// losing the single leader's lease does: that is what guarantees that it
// stops writing before another replica's takeover (renewDeadline <
// leaseDuration).

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32 bit) of the key's UTF-8 bytes: stable across processes, versions and platforms. */
export function fnv1a32(key: string): number {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(key)) {
    h ^= byte;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

/** The shard of an Agent key (`namespace/name`), 0 to count - 1. */
export function shardOf(key: string, count: number): number {
  return count <= 1 ? 0 : fnv1a32(key) % count;
}

/** The Lease of shard i, beside the single leader's: `<leaseName>-shard-<i>`. */
export function shardLeaseName(leaseName: string, shard: number): string {
  return `${leaseName}-shard-${shard}`;
}

export interface ShardElectionOptions {
  count: number;
  /** The Lease store of shard i. */
  store: (shard: number) => LeaseStore;
  /** Timings, identity, clock, random, logger and metrics, the same for every shard's elector. */
  elector?: Omit<LeaderElectorOptions, 'store' | 'onStartedLeading' | 'onStoppedLeading' | 'mayTakeFree' | 'metrics'>;
  metrics?: (shard: number) => LeaderElectorOptions['metrics'];
  logger?: Logger;
  onGained: (shard: number) => void;
  /** A shard was lost (not on a graceful stop): the process must stop writing at once. */
  onLost: (shard: number) => void;
}

/**
 * One elector per shard. Balance: a replica holding h shards (or taking
 * them right now) takes a *free* lease (absent, or released by a graceful
 * stop) only after seeing it free for h x leaseDuration, so replicas that
 * start together, or a new replica in a rolling update, end up with about
 * count / replicas shards each. An *expired* lease (its holder died) is taken
 * at expiry by whoever gets there first: takeover stays within the
 * single-leader bounds (leaseDuration + retryPeriod).
 */
export class ShardElection {
  readonly count: number;
  readonly #electors: LeaderElector[];
  readonly #held = new Set<number>();
  /** Shards whose elector was allowed to take a free lease, and when: not led yet. */
  readonly #taking = new Map<number, number>();
  readonly #clock: Clock;
  readonly #leaseDurationMs: number;
  readonly #log: Logger;

  constructor(opts: ShardElectionOptions) {
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error(`shards: count must be a whole number >= 1, got ${opts.count}`);
    this.count = opts.count;
    this.#leaseDurationMs = opts.elector?.leaseDurationMs ?? 15_000;
    this.#clock = opts.elector?.clock ?? realClock;
    this.#log = (opts.logger ?? noopLogger).child({ component: 'shards' });
    this.#electors = Array.from({ length: opts.count }, (_, shard) => new LeaderElector({
      ...opts.elector,
      store: this.#tracked(shard, opts.store(shard)),
      ...(opts.metrics ? { metrics: opts.metrics(shard) } : {}),
      mayTakeFree: (freeForMs) => {
        // Counted until it leads or its write fails (#tracked), at most one leaseDuration.
        const now = this.#clock.now();
        this.#taking.delete(shard);
        for (const [s, at] of this.#taking) if (now - at >= this.#leaseDurationMs) this.#taking.delete(s);
        const busy = this.#held.size + this.#taking.size;
        if (freeForMs < busy * this.#leaseDurationMs) return false;
        this.#taking.set(shard, now);
        return true;
      },
      onStartedLeading: () => {
        this.#taking.delete(shard);
        this.#held.add(shard);
        this.#log.info({ shard, held: this.held() }, 'leading shard');
        opts.onGained(shard);
      },
      onStoppedLeading: () => {
        this.#held.delete(shard);
        this.#log.error({ shard }, 'lost shard');
        opts.onLost(shard);
      },
    }));
  }

  /** The store of one shard, ending its "taking" when a write fails or someone else is seen holding it. */
  #tracked(shard: number, store: LeaseStore): LeaseStore {
    const settle = <T>(write: Promise<T>): Promise<T> => write.catch((err: unknown) => {
      this.#taking.delete(shard);
      throw err;
    });
    return {
      description: store.description,
      get: async (signal) => {
        const lease = await store.get(signal);
        const holder = lease?.spec.holderIdentity;
        if (holder && holder !== this.identity) this.#taking.delete(shard);
        return lease;
      },
      create: (spec, signal) => settle(store.create(spec, signal)),
      update: (lease, signal) => settle(store.update(lease, signal)),
    };
  }

  get identity(): string {
    return this.#electors[0]!.identity;
  }

  /** The shards this replica leads, ascending. */
  held(): number[] {
    return [...this.#held].sort((a, b) => a - b);
  }

  holds(shard: number): boolean {
    return this.#held.has(shard);
  }

  start(): void {
    for (const e of this.#electors) e.start();
  }

  /** Stops every elector and releases the shards held, so survivors take them over at once. */
  async stop(): Promise<void> {
    await Promise.all(this.#electors.map((e) => e.stop()));
    this.#held.clear();
    this.#taking.clear();
  }
}

import { realClock, type Clock } from './clock.ts';
import type { Controller } from './controller.ts';
import type { Informer, InformerView } from './informer.ts';
import type { KubeObject } from './kube-object.ts';
import { LeaderElector, type LeaderElectorOptions } from './leader-election.ts';
import { noopLogger, type Logger } from './logger.ts';
import type { ShardElection } from './shards.ts';

export interface ManagerOptions {
  logger?: Logger;
  clock?: Clock;
  /** Without it this replica always leads (one replica, or local runs). */
  leaderElection?: Omit<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading'>;
  /**
   * Sharding instead of one leader (not both): controllers run on every
   * replica, each reconciling the keys of the shards it holds (the
   * controllers' `accepts`); a gained shard queues its primaries; a lost one
   * is handled as lost leadership.
   */
  shards?: ShardElection;
  /** How long `stop` lets in-flight reconciles finish. */
  shutdownTimeoutMs?: number;
  /**
   * Called when leadership is lost. Another replica may already be leading, so
   * the process must exit at once; the default does exactly that with code 1.
   */
  onLostLeadership?: () => void;
}

/**
 * Runs the pieces in the order that keeps one writer: caches (informers) on
 * every replica, so a new leader starts warm and /readyz means something on
 * standbys too; controllers only on the leader, and only after their caches
 * synced; on stop, controllers drain first, then the lease is released, then
 * the watches close.
 */
export class Manager {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #informers: InformerView<KubeObject>[] = [];
  readonly #controllers: Controller[] = [];
  readonly #elector: LeaderElector | undefined;
  readonly #shards: ShardElection | undefined;
  readonly #shutdownTimeoutMs: number;
  readonly #onLost: () => void;
  readonly #stopSignal = new AbortController();
  #started = false;
  #leading = false;
  #stopping: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #resolveStopped: () => void = () => {};

  constructor(opts: ManagerOptions = {}) {
    this.#log = (opts.logger ?? noopLogger).child({ component: 'manager' });
    this.#clock = opts.clock ?? realClock;
    this.#shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 30_000;
    this.#onLost = opts.onLostLeadership ?? (() => process.exit(1));
    if (opts.leaderElection && opts.shards) throw new Error('manager: leaderElection and shards are exclusive');
    this.#shards = opts.shards;
    if (opts.leaderElection) {
      this.#elector = new LeaderElector({
        clock: this.#clock,
        logger: opts.logger ?? noopLogger,
        ...opts.leaderElection,
        onStartedLeading: () => this.#lead(),
        onStoppedLeading: () => this.#lost(),
      });
    }
  }

  /** A shard was gained: its primaries (`inShard`, in the warm caches) are queued. Called by the ShardElection's onGained. */
  shardGained(inShard: (key: string) => boolean): void {
    if (this.#stopSignal.signal.aborted) return;
    for (const c of this.#controllers) c.resync(inShard);
  }

  /** A shard was lost: as lost leadership. Called by the ShardElection's onLost. */
  shardLost(): void {
    this.#lost();
  }

  addInformer<T extends KubeObject>(informer: Informer<T>): this {
    this.#informers.push(informer);
    if (this.#started) informer.start();
    return this;
  }

  addController(controller: Controller): this {
    this.#controllers.push(controller);
    if (this.#leading) void controller.start(this.#stopSignal.signal);
    return this;
  }

  /**
   * Starts caches and the election (or leads at once). Like controller-runtime's
   * Start, the promise settles only once the manager has stopped (`stop()` or
   * `signal`), so it can be awaited or left running.
   */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#started = true;
    this.#stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
    if (signal?.aborted) void this.stop();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    for (const informer of this.#informers) informer.start();
    if (this.#elector) this.#elector.start();
    else this.#lead();
    this.#shards?.start();
    return this.#stopped;
  }

  /** Leading (single leader), or holding at least one shard. */
  isLeader(): boolean {
    return this.#shards ? this.#shards.held().length > 0 : this.#leading;
  }

  /** /readyz: the informers whose cache has not synced or is stuck (Informer.ready), by name, for the 503 body. */
  notReady(): string[] {
    return this.#informers.filter((i) => !i.ready()).map((i) => i.name);
  }

  /** /healthz: every watch loop is alive and making progress. */
  healthy(): boolean {
    return this.#started && this.#stopping === undefined && this.#informers.every((i) => i.healthy());
  }

  /** Graceful shutdown (SIGTERM): stop taking work, drain up to the timeout, release the lease, close watches. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#log.info({ timeoutMs: this.#shutdownTimeoutMs }, 'shutting down: draining reconciles');
    this.#stopSignal.abort();
    await Promise.all(this.#controllers.map((c) => c.stop(this.#shutdownTimeoutMs)));
    await this.#elector?.stop();
    await this.#shards?.stop();
    this.#leading = false;
    await Promise.all(this.#informers.map((i) => i.stop()));
    this.#log.info({}, 'shut down');
    this.#resolveStopped();
  }

  #lead(): void {
    if (this.#stopSignal.signal.aborted) return;
    this.#leading = true;
    this.#log.info({ controllers: this.#controllers.map((c) => c.name) }, this.#shards
      ? 'sharded: starting controllers once caches sync; they reconcile the shards this replica holds'
      : 'leading: starting controllers once caches sync');
    for (const c of this.#controllers) void c.start(this.#stopSignal.signal);
  }

  #lost(): void {
    this.#leading = false;
    this.#log.error({}, 'leadership lost: stopping all work and exiting');
    // No drain: another replica may be reconciling already.
    for (const c of this.#controllers) void c.stop(0);
    this.#onLost();
  }
}

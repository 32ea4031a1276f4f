import type { Reason } from '../api/reasons.ts';
import type { Clock } from '../runtime/clock.ts';
import { isNotFound } from '../runtime/api-error.ts';
import { noopLogger, type Logger } from '../runtime/logger.ts';
import type { KubeClient } from './client.ts';
import { microTime, statusTime } from '../lib/time.ts';

// Events on the Agent, written as core/v1 Events because that is the API
// `kubectl describe` lists (CoreV1().Events with an involvedObject field
// selector, sorted by lastTimestamp). Each event carries both the legacy
// fields (count, first/lastTimestamp: sorting and `kubectl get events`) and the
// new ones (eventTime, series, reportingComponent/Instance, action), which
// describe prefers ("x3 over 5m", From: agent-operator.dev/agent-operator).
//
// No storms: an identical (type, reason, message) on the same object within
// 10 minutes bumps count/series on the existing Event instead of creating one;
// a per-object token bucket (client-go's 25 burst, 1 per 5 min) bounds writes,
// and a suppressed repeat is still counted and carried by the next write.
// Remediation steps draw on a second bucket of their own per object, so
// transition chatter cannot crowd out "RolledBack", yet a step storm is
// bounded too.
// Memory is bounded by LRU on both tables. Messages come from the diagnosis
// module, which never sees Secret data; the recorder copies only the object's
// reference, never its content.

export const reportingController = 'agent-operator.dev/agent-operator';

export type EventType = 'Normal' | 'Warning';

/** Anything with an identity: an Agent object as read works as is. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
}

/** The core/v1 Event body the recorder writes. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid: string; resourceVersion?: string };
  type: EventType;
  reason: Reason;
  message: string;
  action: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
  reportingComponent: string;
  reportingInstance: string;
}

export type EventUpdate = Pick<CoreEvent, 'count' | 'lastTimestamp' | 'series'>;

export interface EventSink {
  create(event: CoreEvent): Promise<void>;
  /** Throws KubeApiError 404 when the Event has expired (the apiserver keeps them 1 h by default). */
  update(namespace: string, name: string, update: EventUpdate): Promise<void>;
}

export function apiEventSink(client: KubeClient): EventSink {
  const path = (ns: string): string => `/api/v1/namespaces/${encodeURIComponent(ns)}/events`;
  return {
    async create(event) {
      await client.request({ method: 'POST', path: path(event.metadata.namespace), body: event });
    },
    async update(namespace, name, update) {
      await client.request({ method: 'PATCH', path: `${path(namespace)}/${encodeURIComponent(name)}`, body: update, contentType: 'application/merge-patch+json' });
    },
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  clock: Pick<Clock, 'now'>;
  /** reportingInstance: this process (config.identity). */
  identity: string;
  logger?: Logger;
  /** Tokens per object, and one more every refillMs. Defaults 25 and 5 min (client-go's spam filter). */
  burst?: number;
  refillMs?: number;
  /** Entries kept in each LRU table. Default 4096. */
  maxEntries?: number;
  /**
   * Event writes queued or in flight, all objects together. Reconciles do
   * not wait for events (src/reconcile/act.ts), so this bounds the memory a
   * slow or unreachable apiserver can make them pile up; a write over the
   * bound is dropped and logged. Default 512.
   */
  maxPending?: number;
  /**
   * The remediation steps: reasons with a per-object budget of their own
   * (same burst and refill), so transition chatter cannot crowd out
   * "RolledBack" and steps cannot crowd out the rest. The recovery policy
   * bounds steps to 12 deletions an hour (src/recovery/limits.ts), which a
   * 25 burst refilled every 5 minutes carries.
   */
  steps?: ReadonlySet<Reason>;
}

interface Series {
  name: string;
  namespace: string;
  created: boolean;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** Writes of one series run one after another, so a repeat never races the create. */
  chain: Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Events are 1 KiB at most for new-style core/v1 Events. */
const maxMessageBytes = 1024;
/** An identical event within this window is a repeat. */
const repeatWindowMs = 600_000;

export class EventRecorder {
  readonly #opts: Required<Omit<EventRecorderOptions, 'logger'>> & { logger: Logger };
  readonly #series = new Map<string, Series>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #inFlight = new Set<Promise<void>>();
  #seq = 0;

  constructor(opts: EventRecorderOptions) {
    this.#opts = { burst: 25, refillMs: 300_000, maxEntries: 4096, maxPending: 512, logger: noopLogger, steps: new Set(), ...opts };
  }

  /**
   * Records an event on `target`. Resolves once written, dropped by the rate
   * limit, or failed (logged): events are best effort and never fail a reconcile.
   */
  record(target: EventTarget, type: EventType, reason: Reason, message: string, action = 'Reconcile'): Promise<void> {
    const now = this.#opts.clock.now();
    const { namespace, name, uid } = target.metadata;
    const text = truncate(message);
    const key = [uid, type, reason, action, text].join('\u0000');

    let series = this.#series.get(key);
    if (series !== undefined && now - series.lastSeen <= repeatWindowMs) {
      series.count += 1;
      series.lastSeen = now;
    } else {
      series = { name: this.#eventName(name, now), namespace, created: false, count: 1, firstSeen: now, lastSeen: now, chain: Promise.resolve() };
    }
    touch(this.#series, key, series, this.#opts.maxEntries);

    if (!this.#take(this.#opts.steps.has(reason) ? `${uid}\u0000steps` : uid, now)) {
      this.#opts.logger.debug({ reason, agent: `${namespace}/${name}` }, 'event rate-limited; counted for the next write');
      return series.chain;
    }
    if (this.#inFlight.size >= this.#opts.maxPending) {
      this.#opts.logger.warn({ reason, agent: `${namespace}/${name}`, pending: this.#inFlight.size }, 'event dropped: too many event writes pending');
      return series.chain;
    }
    const s = series;
    const write = async (): Promise<void> => {
      try {
        await this.#write(s, target, type, reason, text, action);
      } catch (err) {
        this.#opts.logger.warn({ err, reason, agent: `${namespace}/${name}` }, 'could not write event');
      }
    };
    const chained = s.chain.then(write);
    s.chain = chained;
    this.#inFlight.add(chained);
    void chained.finally(() => this.#inFlight.delete(chained));
    return chained;
  }

  /** Waits for the event writes pending now, at most `timeoutMs` (graceful shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(this.#inFlight), new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
  }

  /** Event writes queued or in flight. */
  get pending(): number {
    return this.#inFlight.size;
  }

  async #write(s: Series, target: EventTarget, type: EventType, reason: Reason, message: string, action: string): Promise<void> {
    const { count, lastSeen } = s;
    if (s.created) {
      try {
        await this.#opts.sink.update(s.namespace, s.name, {
          count,
          lastTimestamp: statusTime(lastSeen),
          series: { count, lastObservedTime: microTime(lastSeen) },
        });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired under us: start it again under a new name, keeping the count.
        s.name = this.#eventName(target.metadata.name, lastSeen);
        s.created = false;
      }
    }
    const { apiVersion, kind, metadata: m } = target;
    await this.#opts.sink.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: s.name, namespace: s.namespace },
      involvedObject: { apiVersion, kind, name: m.name, namespace: m.namespace, uid: m.uid, ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}) },
      type,
      reason,
      message,
      action,
      count,
      firstTimestamp: statusTime(s.firstSeen),
      lastTimestamp: statusTime(lastSeen),
      eventTime: microTime(s.firstSeen),
      ...(count > 1 ? { series: { count, lastObservedTime: microTime(lastSeen) } } : {}),
      reportingComponent: reportingController,
      reportingInstance: this.#opts.identity.slice(0, 128),
    });
    s.created = true;
  }

  /** Token bucket per object (and one more per object for the steps). */
  #take(bucket: string, now: number): boolean {
    const { burst, refillMs, maxEntries } = this.#opts;
    const b = this.#buckets.get(bucket) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / refillMs);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    touch(this.#buckets, bucket, b, maxEntries);
    return ok;
  }

  /** client-go's `<name>.<hex nanoseconds>`, with a sequence so two events in one millisecond differ. */
  #eventName(objectName: string, now: number): string {
    const suffix = (BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16);
    const base = objectName.slice(0, 253 - suffix.length - 1).replace(/[.-]+$/, '');
    return `${base}.${suffix}`;
  }

  /** Entries held, for tests: bounded by maxEntries. */
  get size(): { series: number; buckets: number } {
    return { series: this.#series.size, buckets: this.#buckets.size };
  }
}

/** Map as LRU: re-inserting moves a key to the young end; the oldest go first. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

function truncate(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= maxMessageBytes) return message;
  // Cut on a character boundary, leaving room for the ellipsis (3 bytes).
  let text = bytes.subarray(0, maxMessageBytes - 3).toString('utf8');
  if (text.endsWith('\uFFFD')) text = text.slice(0, -1);
  return `${text}…`;
}

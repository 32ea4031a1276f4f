import type { Logger } from './logger.ts';

export interface EventMeta {
  /** From the informer's first list, or replayed to a handler added later: not a change. */
  initial: boolean;
  /** A delete found by a relist rather than seen on the watch: the object is its last known state. */
  finalStateUnknown?: boolean;
}

export interface InformerHandler<T> {
  onAdd?(obj: T, meta: EventMeta): void;
  onUpdate?(oldObj: T, newObj: T, meta: EventMeta): void;
  onDelete?(obj: T, meta: EventMeta): void;
}

/** Fans events out to handlers; a failing handler is logged and never stops the informer or the others. */
export class HandlerSet<T> {
  readonly #handlers = new Set<InformerHandler<T>>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(handler: InformerHandler<T>, replay: Iterable<T>): () => void {
    this.#handlers.add(handler);
    for (const obj of replay) this.#call(() => handler.onAdd?.(obj, { initial: true }));
    return () => this.#handlers.delete(handler);
  }

  added(obj: T, meta: EventMeta): void {
    for (const h of this.#handlers) this.#call(() => h.onAdd?.(obj, meta));
  }

  updated(old: T, obj: T, meta: EventMeta): void {
    for (const h of this.#handlers) this.#call(() => h.onUpdate?.(old, obj, meta));
  }

  deleted(obj: T, meta: EventMeta): void {
    for (const h of this.#handlers) this.#call(() => h.onDelete?.(obj, meta));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, 'event handler failed');
    }
  }
}

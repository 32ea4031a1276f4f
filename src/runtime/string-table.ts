// One copy of each short string the caches hold. JSON.parse gives every
// string value its own copy (V8 shares only the keys), so 10,000 Deployments
// hold 10,000 copies of "agent-operator", of the image, the namespace, each
// default the apiserver fills in (default-scheduler, /dev/termination-log),
// each condition's reason and message: at 2,000 Agents 11.8 of the heap's
// 19.5 MiB of strings were copies (bench/cache-memory.ts --snapshot). Which
// copy of a string a reader gets is not observable, so sharing them changes
// nothing a reader sees.

export interface StringTableOptions {
  /** Strings held at most; when full the table starts again (nothing already shared is lost). */
  maxEntries?: number;
  /** Longer strings are not shared: they are rarely repeated, and the table must not keep a dead long one alive. */
  maxLength?: number;
}

export class StringTable {
  readonly #table = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #maxLength: number;

  constructor(o: StringTableOptions = {}) {
    this.#maxEntries = o.maxEntries ?? 50_000;
    this.#maxLength = o.maxLength ?? 256;
  }

  get size(): number {
    return this.#table.size;
  }

  /** The table's copy of `s` (`s` itself the first time). */
  share(s: string): string {
    if (s.length > this.#maxLength) return s;
    const held = this.#table.get(s);
    if (held !== undefined) return held;
    // Bounded, so unique strings (names, timestamps, IPs) cannot grow it for
    // ever: cleared when full, the next copies of a common string share a new
    // one. Worst case it keeps maxEntries x maxLength of strings nobody else
    // holds (12.5 MiB at the defaults; in practice a few MiB of live ones).
    if (this.#table.size >= this.#maxEntries) this.#table.clear();
    this.#table.set(s, s);
    return s;
  }
}

/** Values unique to each object: never shared, so they do not fill the table. */
const uniqueKeys = new Set(['uid', 'resourceVersion']);

/**
 * deepFreeze (src/lib/deep-freeze.ts) that also swaps each string value for
 * the table's copy before freezing the object holding it. Only for objects
 * the caller owns (fresh from JSON.parse): the values stay equal, but the
 * object is written to. Iterative, as deepFreeze, for deeply nested input.
 */
export function freezeSharingStrings<T>(value: T, table: StringTable): T {
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) continue;
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const child = o[k];
      if (typeof child === 'string') {
        if (!uniqueKeys.has(k)) o[k] = table.share(child);
      } else if (child !== null && typeof child === 'object') todo.push(child);
    }
    Object.freeze(o);
  }
  return value;
}

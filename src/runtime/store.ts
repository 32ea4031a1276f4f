import { keyOf, objectKey, type KubeObject } from './kube-object.ts';

export type IndexFunc<T> = (obj: T) => string[];

/** What controllers see of an informer's cache. */
export interface ReadonlyStore<T extends KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  getByKey(key: string): T | undefined;
  /** All objects, or those of one namespace. */
  list(namespace?: string): T[];
  /** Objects whose index function returned `value`. */
  byIndex(indexName: string, value: string): T[];
}

interface Index<T> {
  fn: IndexFunc<T>;
  byValue: Map<string, Set<string>>;
  /** What fn returned for each key when it was stored, so removal never re-runs fn. */
  valuesOf: Map<string, string[]>;
}

/** A keyed object cache with client-go style secondary indexes. */
export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  readonly #items = new Map<string, T>();
  readonly #indexes = new Map<string, Index<T>>();
  readonly #onIndexError: (indexName: string, err: unknown) => void;

  /** A throwing index function leaves that object out of that index and is reported, never thrown. */
  constructor(onIndexError: (indexName: string, err: unknown) => void = () => {}) {
    this.#onIndexError = onIndexError;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#items.get(keyOf(namespace, name));
  }

  getByKey(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.#items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  entries(): IterableIterator<[string, T]> {
    return this.#items.entries();
  }

  /** Adding an index after objects are cached indexes them at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.#indexes.has(name)) throw new Error(`index ${name} already exists`);
    const index: Index<T> = { fn, byValue: new Map(), valuesOf: new Map() };
    this.#indexes.set(name, index);
    for (const [key, obj] of this.#items) this.#indexAdd(name, index, key, obj);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.#indexes.get(indexName);
    if (index === undefined) throw new Error(`no index named ${indexName}`);
    const keys = index.byValue.get(value);
    if (keys === undefined) return [];
    return [...keys].flatMap((k) => {
      const o = this.#items.get(k);
      return o === undefined ? [] : [o];
    });
  }

  /** Stores the object; returns the one it replaced. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    for (const [name, index] of this.#indexes) {
      this.#indexRemove(index, key);
      this.#indexAdd(name, index, key, obj);
    }
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    for (const index of this.#indexes.values()) this.#indexRemove(index, key);
    return old;
  }

  #indexAdd(name: string, index: Index<T>, key: string, obj: T): void {
    let values: string[];
    try {
      values = [...new Set(index.fn(obj))];
    } catch (err) {
      this.#onIndexError(name, err);
      return;
    }
    index.valuesOf.set(key, values);
    for (const value of values) {
      let keys = index.byValue.get(value);
      if (keys === undefined) index.byValue.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  #indexRemove(index: Index<T>, key: string): void {
    for (const value of index.valuesOf.get(key) ?? []) {
      const keys = index.byValue.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.byValue.delete(value);
    }
    index.valuesOf.delete(key);
  }
}

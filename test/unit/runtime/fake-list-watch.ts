import type { ListOptions, ListPage, ListWatcher, WatchEvent, WatchOptions } from '../../../src/runtime/list-watch.ts';
import type { KubeObject } from '../../../src/runtime/kube-object.ts';

/** A watch stream the test pushes events into; it ends with an AbortError when its signal aborts. */
export class FakeWatchStream<T> implements AsyncIterable<WatchEvent<T>> {
  readonly #buffer: Array<WatchEvent<T>> = [];
  #waiting: { resolve: (r: IteratorResult<WatchEvent<T>>) => void; reject: (e: unknown) => void } | undefined;
  #ended = false;
  #error: unknown;
  readonly options: WatchOptions;

  constructor(options: WatchOptions) {
    this.options = options;
    if (options.signal.aborted) this.#error = new DOMException('aborted', 'AbortError');
    options.signal.addEventListener('abort', () => this.fail(new DOMException('aborted', 'AbortError')), { once: true });
  }

  get closed(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  push(event: WatchEvent<T>): void {
    if (this.closed) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w.resolve({ value: event, done: false });
    } else this.#buffer.push(event);
  }

  /** The server closed the watch (e.g. its timeoutSeconds ran out). */
  end(): void {
    if (this.closed) return;
    this.#ended = true;
    this.#waiting?.resolve({ value: undefined, done: true });
    this.#waiting = undefined;
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.#error = err;
    this.#waiting?.reject(err);
    this.#waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return {
      next: () => {
        const e = this.#buffer.shift();
        if (e !== undefined) return Promise.resolve({ value: e, done: false });
        if (this.#error !== undefined) return Promise.reject(this.#error);
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/**
 * An in-memory apiserver for one resource. Lists return the current objects
 * unless a scripted response is queued; watches hand out a stream the test
 * drives, unless a scripted error is queued.
 */
export class FakeListWatcher<T extends KubeObject> implements ListWatcher<T> {
  readonly objects = new Map<string, T>();
  resourceVersion = 100;
  readonly lists: ListOptions[] = [];
  readonly watches: WatchOptions[] = [];
  readonly listScript: Array<ListPage<T> | Error | 'hang'> = [];
  readonly watchScript: Array<Error> = [];
  streams: Array<FakeWatchStream<T>> = [];

  get current(): FakeWatchStream<T> | undefined {
    const s = this.streams.at(-1);
    return s && !s.closed ? s : undefined;
  }

  put(obj: T): void {
    this.objects.set(`${obj.metadata?.namespace}/${obj.metadata?.name}`, obj);
  }

  remove(namespace: string, name: string): void {
    this.objects.delete(`${namespace}/${name}`);
  }

  list(opts: ListOptions): Promise<ListPage<T>> {
    this.lists.push(opts);
    const scripted = this.listScript.shift();
    if (scripted === 'hang') return new Promise(() => {});
    if (scripted instanceof Error) return Promise.reject(scripted);
    if (scripted !== undefined) return Promise.resolve(scripted);
    return Promise.resolve({ items: [...this.objects.values()], resourceVersion: String(this.resourceVersion) });
  }

  watch(opts: WatchOptions): Promise<AsyncIterable<WatchEvent<T>>> {
    this.watches.push(opts);
    const err = this.watchScript.shift();
    if (err !== undefined) return Promise.reject(err);
    const stream = new FakeWatchStream<T>(opts);
    this.streams.push(stream);
    return Promise.resolve(stream);
  }
}

export interface TestObject extends KubeObject {
  spec?: Record<string, unknown>;
}

export function obj(name: string, resourceVersion: string, extra: Partial<TestObject> & { generation?: number } = {}): TestObject {
  const { generation, metadata, ...rest } = extra;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace: 'ns', name, resourceVersion, uid: `uid-${name}`, ...(generation !== undefined ? { generation } : {}), ...metadata },
    ...rest,
  };
}

import type { Status } from './api-error.ts';
import { errorFrom, requestJson, type KubeTransport, type Query } from './kube-http.ts';
import type { KubeObject } from './kube-object.ts';
import type { ListOptions, ListPage, ListWatcher, WatchEvent, WatchOptions } from './list-watch.ts';

/** Which resource to list and watch. `group` is '' for the core API. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Lower-case plural, as in the URL: `secrets`, `deployments`, `agents`. */
  plural: string;
  namespaced: boolean;
}

export interface KubeListWatchOptions {
  resource: ResourceRef;
  /** Only this namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Ask for PartialObjectMetadata: the apiserver sends only metadata, so the
   * size of unrelated Secrets never reaches this process. The plain-JSON
   * fallback in the Accept header keeps old servers working (the informer then
   * drops everything but metadata itself).
   */
  metadataOnly?: boolean;
}

const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export function resourcePath(resource: ResourceRef, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${resource.plural}`;
}

interface ListBody<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** List and watch on the one HTTP transport (kube-http.ts), for the informer. */
export class KubeListWatcher<T extends KubeObject> implements ListWatcher<T> {
  readonly #transport: KubeTransport;
  readonly #opts: KubeListWatchOptions;
  readonly #path: string;

  constructor(transport: KubeTransport, opts: KubeListWatchOptions) {
    this.#transport = transport;
    this.#opts = opts;
    this.#path = resourcePath(opts.resource, opts.namespace);
  }

  async list(opts: ListOptions): Promise<ListPage<T>> {
    const body = await requestJson<ListBody<T>>(this.#transport, {
      method: 'GET',
      path: this.#path,
      query: { ...this.#selectors(), limit: opts.limit, continue: opts.continue },
      headers: this.#opts.metadataOnly ? { Accept: METADATA_LIST_ACCEPT } : {},
      signal: opts.signal,
    });
    // Items of a list carry no apiVersion/kind; fill them in from the list so
    // cached objects look the same whether they came from a list or a watch.
    const kind = body.kind?.endsWith('List') ? body.kind.slice(0, -4) : undefined;
    const items = (body.items ?? []).map((item) =>
      item.kind === undefined && kind !== undefined ? ({ apiVersion: body.apiVersion, kind, ...item } as T) : item,
    );
    return {
      items,
      resourceVersion: body.metadata?.resourceVersion ?? '',
      ...(body.metadata?.continue ? { continue: body.metadata.continue } : {}),
    };
  }

  async watch(opts: WatchOptions): Promise<AsyncIterable<WatchEvent<T>>> {
    const res = await this.#transport.request({
      method: 'GET',
      path: this.#path,
      query: {
        ...this.#selectors(),
        watch: true,
        resourceVersion: opts.resourceVersion || undefined,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        timeoutSeconds: opts.timeoutSeconds,
      },
      headers: { Accept: this.#opts.metadataOnly ? METADATA_ACCEPT : 'application/json' },
      signal: opts.signal,
    });
    if (res.status !== 200) throw errorFrom(res, await res.text());
    const stream = res.stream();
    if (stream === null) throw new Error('watch response has no body');
    return parseEvents<T>(stream);
  }

  #selectors(): Query {
    return { labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector };
  }
}

/** One JSON watch event per line. A line that does not parse fails the watch (the informer recovers). */
export async function* parseEvents<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<WatchEvent<T>> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line !== '') yield toEvent<T>(line);
      }
    }
    if (buffer.trim() !== '') yield toEvent<T>(buffer.trim());
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function toEvent<T>(line: string): WatchEvent<T> {
  const parsed = JSON.parse(line) as { type?: string; object?: unknown };
  switch (parsed.type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
    case 'BOOKMARK':
      return { type: parsed.type, object: parsed.object as T };
    case 'ERROR':
      return { type: 'ERROR', object: (parsed.object ?? {}) as Status };
    default:
      throw new Error(`unexpected watch event type ${String(parsed.type)}`);
  }
}

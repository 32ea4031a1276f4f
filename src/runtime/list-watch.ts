import type { Status } from './api-error.ts';
import type { KubeObject } from './kube-object.ts';

// The transport an informer runs on. The real one (kube-list-watch.ts) talks to
// the apiserver over the one HTTP transport (kube-http.ts); tests feed events through a fake.
// Errors from the apiserver are thrown as KubeApiError so the informer can tell
// 410 (relist) and 429 (Retry-After) from everything else.

export interface ListOptions {
  limit?: number;
  continue?: string;
  signal: AbortSignal;
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions {
  resourceVersion: string;
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
  /** Aborting ends the stream (the iterator throws or returns). */
  signal: AbortSignal;
}

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export interface ListWatcher<T extends KubeObject> {
  list(opts: ListOptions): Promise<ListPage<T>>;
  /** Resolves once the server has accepted the watch; throws KubeApiError if it refused. */
  watch(opts: WatchOptions): Promise<AsyncIterable<WatchEvent<T>>>;
}

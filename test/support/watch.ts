// A watch for tests that must see every intermediate state (each memory
// raise, each restart step), not only the latest one a poll would catch.
// client-node's Watch aborts after 30 s without a chunk, so this re-watches
// from the last resourceVersion seen, and starts over on 410.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

export function watchAll<T extends { metadata?: { resourceVersion?: string } }>(kc: KubeConfig, path: string, fn: (obj: T) => void): { stop(): void } {
  let stopped = false;
  let rv: string | undefined;
  let current: AbortController | undefined;
  const start = (): void => {
    if (stopped) return;
    new Watch(kc).watch(path, { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) }, (type: string, obj: T) => {
      if (type === 'ERROR') rv = undefined; // expired: start over from the current state
      else rv = obj.metadata?.resourceVersion ?? rv;
      if (type === 'ADDED' || type === 'MODIFIED') fn(obj);
    }, () => setTimeout(start, 100)).then((c) => {
      current = c;
      if (stopped) c.abort();
    }, () => setTimeout(start, 500));
  };
  start();
  return { stop: () => { stopped = true; current?.abort(); } };
}

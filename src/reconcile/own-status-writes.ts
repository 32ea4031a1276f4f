import type { StoredAgent } from '../api/stored-agent.ts';

// Read your own status writes (client-go's MutationCache, tools/cache/mutation_cache.go).
//
// The status patch carries the resourceVersion of the Agent it was computed
// from: a status computed from an older Agent than the stored one is refused
// (409), so a remediation step is never taken twice and never rolled back.
// That precondition stays. What it used to catch most often was our own
// write: the reconcile after a status write (woken by the Deployment or pod
// event the same reconcile caused) found the Agent's informer one version
// behind, computed the status against the version it had just replaced, and
// got a 409 and a backoff; worse, it first applied the objects the stale
// status implied (a rolled-back Deployment re-applied at the failing template
// until the next reconcile restored the rollback).
//
// Here the reconciler keeps the Agent the apiserver returned from its status
// write, with the versions it replaced, and reads it instead of the cache
// while the cache still shows one of those versions. That is exact, without
// comparing resourceVersions (opaque strings): every write of ours was
// preconditioned on the version before it, so nobody wrote in between, and
// the stored Agent is newer than every version in `replaced`. Any other
// version in the cache is the stored one or a later one (the cache only moves
// forward), and then the cache is read again and the entry dropped.

interface Written {
  stored: StoredAgent;
  /** The versions our writes replaced, oldest first: the cache showing any of them is behind `stored`. */
  replaced: string[];
}

export class OwnStatusWrites {
  readonly #written = new Map<string, Written>();

  /** The Agent to reconcile: the one our last status write stored while the cache shows a version it replaced, else the cached one. */
  view(key: string, cached: StoredAgent): StoredAgent {
    const w = this.#written.get(key);
    if (w === undefined) return cached;
    if (w.stored.metadata.uid === cached.metadata.uid && w.replaced.includes(cached.metadata.resourceVersion ?? '')) return w.stored;
    this.#written.delete(key);
    return cached;
  }

  /**
   * Status writes over the versions `replaced` (oldest first, each
   * preconditioned on the one before) succeeded, and the apiserver answered
   * the last with `stored`.
   */
  wrote(key: string, replaced: readonly string[], stored: StoredAgent | undefined): void {
    const version = stored?.metadata?.resourceVersion;
    // Without a precondition nothing proves the answer is the successor of what the cache had.
    if (!replaced.length || !version || !stored) {
      this.#written.delete(key);
      return;
    }
    const before = this.#written.get(key);
    const chain = before && before.stored.metadata.resourceVersion === replaced[0] ? [...before.replaced, ...replaced] : [...replaced];
    const { managedFields: _dropped, ...metadata } = stored.metadata;
    this.#written.set(key, { stored: { ...stored, metadata }, replaced: chain });
  }

  /** The informer saw `current` (an update or delete): an entry it has caught up with is no longer needed. */
  seen(key: string, current: StoredAgent | undefined): void {
    const w = this.#written.get(key);
    if (w === undefined) return;
    if (current === undefined || !w.replaced.includes(current.metadata?.resourceVersion ?? '')) this.#written.delete(key);
  }

  get size(): number {
    return this.#written.size;
  }
}

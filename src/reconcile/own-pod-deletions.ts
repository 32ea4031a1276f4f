import type { V1Pod } from '@kubernetes/client-node';

// Read your own pod deletions (the ReplicaSet controller's "expectations",
// pkg/controller/controller_utils.go, kept to what the reconciler needs).
//
// After a delete, the pod informer shows the pod as it was for a moment: a
// reconcile in between (woken by our own status write) would plan the same
// delete again. A graceful delete then lands twice (and counts twice in
// status.recovery.podDeletions); a force delete of a StatefulSet pod meets the
// replacement under the same name and is refused (409). So the reconciler
// remembers what it deleted and shows the pods as the apiserver already holds
// them: gracefully deleted pods carry a deletionTimestamp (every policy skips
// those), force-deleted pods are gone. A graceful entry ends when the cache
// shows the deletionTimestamp, any entry after `forgetAfterMs` (a force-deleted
// pod's uid never comes back, so its entry just waits that out).

/** Far longer than an informer lags; a delete that did not land (the pod shows up unchanged) is believed no longer than this. */
export const forgetAfterMs = 60_000;

interface Deleted { at: number; force: boolean }

export class OwnPodDeletions {
  readonly #deleted = new Map<string, Deleted>();

  deleted(uid: string, at: number, force = false): void {
    this.#forget(at);
    this.#deleted.set(uid, { at, force });
  }

  /** The pods with our deletions laid over them: the cache's own list, uncopied, when nothing is remembered (every reconcile). */
  view(pods: readonly V1Pod[], now: number): readonly V1Pod[] {
    this.#forget(now);
    if (!this.#deleted.size) return pods;
    const out: V1Pod[] = [];
    for (const p of pods) {
      const uid = p.metadata?.uid;
      const d = uid === undefined ? undefined : this.#deleted.get(uid);
      if (!d) { out.push(p); continue; }
      if (d.force) continue;
      if (p.metadata?.deletionTimestamp) { this.#deleted.delete(uid!); out.push(p); continue; }
      out.push({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(d.at) } });
    }
    return out;
  }

  #forget(now: number): void {
    for (const [uid, d] of this.#deleted) if (now - d.at >= forgetAfterMs) this.#deleted.delete(uid);
  }
}

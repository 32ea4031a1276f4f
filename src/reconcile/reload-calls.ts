import { configReloadAnnotation } from '../api/annotations.ts';
import type { KubeIO } from '../kube/io.ts';
import type { CallReload } from '../kube/reload-call.ts';
import type { Logger } from '../runtime/logger.ts';
import { recordOutcome, type ReloadCall } from './config-reload.ts';

export interface ReloadCallDeps {
  call: CallReload;
  io: Pick<KubeIO, 'patchPodAnnotations'>;
  log: Logger;
}

/**
 * Reload calls (reload HTTP) run beside the reconcile, never inside it: an
 * agent's endpoint may take its whole timeout (5 s) to fail, and a reconcile
 * that awaited it would hold one of the few workers while every other Agent's
 * detection waits. Each outcome is recorded on its pod (config-reload.ts), and
 * that pod update is what brings the Agent back to plan the next step. A call
 * (pod, config, attempt) already in flight is not made again by a plan that
 * was made before its outcome was recorded.
 */
export class ReloadCalls {
  readonly #inFlight = new Map<string, Promise<void>>();

  start(namespace: string, calls: readonly ReloadCall[], at: Date, deps: ReloadCallDeps): void {
    for (const c of calls) {
      const key = `${c.uid}/${c.hash}/${c.failures}`;
      if (this.#inFlight.has(key)) continue;
      this.#inFlight.set(key, this.#run(namespace, c, at, deps).finally(() => this.#inFlight.delete(key)));
    }
  }

  /** Resolves when no call is in flight (tests; a stopping operator may leave them: the next leader calls again). */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.all(this.#inFlight.values());
  }

  async #run(namespace: string, c: ReloadCall, at: Date, deps: ReloadCallDeps): Promise<void> {
    try {
      const outcome = await deps.call(c);
      if (!outcome.ok) deps.log.warn({ pod: c.name, url: c.url, error: outcome.error }, 'a reload call failed');
      await deps.io.patchPodAnnotations(namespace, c.name, c.uid, { [configReloadAnnotation]: recordOutcome(c, outcome, at) });
    } catch (err) {
      // The pod is gone or the apiserver refused: the next plan sees the pod as it is and decides again.
      deps.log.warn({ pod: c.name, err: (err as Error).message }, 'could not record a reload call\'s outcome');
    }
  }
}

import { readAgent } from '../api/stored-agent.ts';
import type { PodPolicy } from '../policy/pod-policy.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Reconciler } from '../runtime/controller.ts';
import { objectKey, splitKey } from '../runtime/kube-object.ts';
import type { ReconcileOutcome } from '../observability/metrics.ts';
import { act, type ActDeps } from './act.ts';
import type { Caches } from './caches.ts';
import { gather, probeCreates, type ReadUsage } from './gather.ts';
import { OwnStatusWrites } from './own-status-writes.ts';
import { ReloadCalls } from './reload-calls.ts';
import { OwnPodDeletions } from './own-pod-deletions.ts';
import { plan, unwatchedRetryMs } from './plan.ts';

// The Agent reconciler: gather -> plan (pure) -> act. Level-based: it reads
// the whole situation every time, so a missed event or an operator restart
// changes nothing about what it decides.

export interface ReconcilerDeps extends Omit<ActDeps, 'reloads'> {
  caches: Caches;
  clock: Pick<Clock, 'now'>;
  /** What the pods the operator builds may do (--pod-security-level, --allowed-service-accounts); default baseline, no ServiceAccount but default. */
  podPolicy?: PodPolicy;
  /** Seconds a revision must run healthy before it is the Rollback target (default 60). */
  healthyAfterSeconds?: number;
  observeOutcome?: (outcome: ReconcileOutcome) => void;
  /** The node metrics' readings of pods' containers (src/usage/scraper.ts), when the operator reads them (--node-metrics). */
  readUsage?: ReadUsage;
}

export function agentReconciler(deps: ReconcilerDeps): Reconciler {
  // The Agent our last status write stored, read while the informer has not caught up with it (own-status-writes.ts).
  const own = new OwnStatusWrites();
  const reloads = new ReloadCalls();
  // The pods our deletes removed, shown so while the pod informer has not caught up (own-pod-deletions.ts).
  const deletions = new OwnPodDeletions();
  for (const i of deps.caches.agents.informers) {
    i.addHandler({ onUpdate: (_old, obj) => own.seen(objectKey(obj), obj), onDelete: (obj) => own.seen(objectKey(obj), undefined) });
  }
  return async (key, ctx) => {
    try {
      return await reconcileOne(key, ctx);
    } catch (err) {
      deps.observeOutcome?.('error');
      throw err;
    }
  };
  async function reconcileOne(...[key, ctx]: Parameters<Reconciler>): ReturnType<Reconciler> {
    const { namespace = '', name } = splitKey(key);
    const fromCache = deps.caches.agents.get(namespace, name);
    // Deleted: owned objects go with it by garbage collection (a retained PVC has no owner reference).
    if (!fromCache || fromCache.metadata.deletionTimestamp) {
      deps.observeOutcome?.('deleted');
      return undefined;
    }
    const log = ctx.log ?? deps.log;
    // What the schema could not refuse (a CRD installed without its rules, an
    // older version's object) becomes InvalidSpec in status, never a crash:
    // the rollout is held, and the rest is planned from what the schema accepts.
    const { agent, invalid } = readAgent(own.view(key, fromCache));

    let observed = await gather(deps.caches, deps.io.readReferencedDigests, agent, new Date(deps.clock.now()), deps.io.readLivenessKills, deps.readUsage, deps.io.readNode);
    observed = { ...observed, pods: deletions.view(observed.pods, observed.now.getTime()) };
    const opts = { invalidSpec: invalid, podPolicy: deps.podPolicy, healthyAfterSeconds: deps.healthyAfterSeconds };
    let p = plan(observed, opts);
    // Names about to be created are read first: what is there and not ours is never overwritten.
    if (p.creates.length) {
      observed = await probeCreates(observed, p.creates, deps.io.read);
      p = plan(observed, opts);
    }
    const done = await act(agent, p, { ...deps, log, reloads });
    if (done.written) own.wrote(key, done.written.replaced, done.written.stored);
    if (done.deleted) deletions.deleted(done.deleted.uid, p.now.getTime(), done.deleted.force);
    // Held wins over applied: a held Agent may still have its Service or PDB written, but it is not where its spec says.
    deps.observeOutcome?.(agent.spec.managementState === 'Unmanaged' ? 'unmanaged' : p.held ? 'held' : p.apply.length || p.remove.length || p.deletePod ? 'applied' : 'unchanged');
    // A refused apply is retried on a timer: the refusal is in status, and a
    // quota freed or a policy changed elsewhere raises no event on the Agent.
    const requeue = done.applyFailed ? Math.min(p.requeueAfterMs ?? unwatchedRetryMs, unwatchedRetryMs) : p.requeueAfterMs;
    return requeue !== undefined ? { requeueAfter: requeue } : undefined;
  }
}

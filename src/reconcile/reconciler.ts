import { Agent } from '../api/agent.ts';
import type { PodPolicy } from '../policy/pod-policy.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Reconciler } from '../runtime/controller.ts';
import { splitKey } from '../runtime/kube-object.ts';
import { act, type ActDeps } from './act.ts';
import type { Caches } from './caches.ts';
import { gather } from './gather.ts';
import { plan } from './plan.ts';

// The Agent reconciler: gather -> plan (pure) -> act. Level-based: it reads
// the whole situation every time, so a missed event or an operator restart
// changes nothing about what it decides.

export interface ReconcilerDeps extends ActDeps {
  caches: Caches;
  clock: Pick<Clock, 'now'>;
  /** What the pods the operator builds may do (--pod-security-level, --allowed-service-accounts); default baseline, no ServiceAccount but default. */
  podPolicy?: PodPolicy;
  observeOutcome?: (outcome: 'applied' | 'unchanged' | 'unmanaged') => void;
}

export function agentReconciler(deps: ReconcilerDeps): Reconciler {
  return async (key, ctx) => {
    const { namespace = '', name } = splitKey(key);
    const cached = deps.caches.agents.get(namespace, name);
    // Deleted: owned objects go with it by garbage collection (a retained PVC has no owner reference).
    if (!cached || cached.metadata.deletionTimestamp) return undefined;
    const log = ctx.log ?? deps.log;

    // What the schema could not refuse (a CRD installed without its rules, an
    // older version's object) becomes InvalidSpec in status, never a crash.
    const parsed = Agent.safeParse(cached);
    const invalid = parsed.success ? [] : parsed.error.issues.map((i) => `spec.${i.path.slice(1).join('.')}: ${i.message}`);
    const agent = parsed.success ? parsed.data : { ...cached, spec: { ...cached.spec, image: cached.spec?.image ?? '' } };

    const observed = await gather(deps.caches, deps.io.readReferencedDigests, agent, new Date(deps.clock.now()), deps.io.readLivenessKills);
    const p = plan(observed, invalid, deps.podPolicy);
    await act(agent, p, { ...deps, log });
    deps.observeOutcome?.(agent.spec.managementState === 'Unmanaged' ? 'unmanaged' : p.apply.length || p.remove.length || p.deletePod ? 'applied' : 'unchanged');
    return p.requeueAfterMs !== undefined ? { requeueAfter: p.requeueAfterMs } : undefined;
  };
}

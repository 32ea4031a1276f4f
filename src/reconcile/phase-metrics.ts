import { readAgent } from '../api/stored-agent.ts';
import type { Metrics } from '../observability/metrics.ts';
import { objectKey } from '../runtime/kube-object.ts';
import type { Caches } from './caches.ts';

/** agent_operator_agents{phase}, kept from the Agent cache: what status says now, on every replica. */
export function trackPhases(caches: Caches, metrics: Pick<Metrics, 'agents'>): void {
  for (const informer of caches.agents.informers) {
    informer.addHandler({
      onAdd: (a) => metrics.agents.set(objectKey(a), readAgent(a).agent.status?.phase),
      onUpdate: (_, a) => metrics.agents.set(objectKey(a), readAgent(a).agent.status?.phase),
      onDelete: (a) => metrics.agents.set(objectKey(a), undefined),
    });
  }
}

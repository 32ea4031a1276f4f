import type { V1Pod } from '@kubernetes/client-node';
import { readAgent } from '../api/stored-agent.ts';
import { agentLabel } from '../desired/labels.ts';
import { resolveSpec } from '../desired/defaults.ts';
import { labelValue } from '../desired/names.ts';
import { keyOf } from '../runtime/kube-object.ts';
import { usageConditionsDiffer, usageVerdicts } from '../status/usage-conditions.ts';
import type { ContainerUsage } from '../usage/assess.ts';
import type { Caches } from './caches.ts';
import { byAgentLabel } from './gather.ts';

/**
 * After a round of node readings: queue the Agents whose usage verdict now
 * differs from what their status says. A new reading raises no watch event,
 * so without this a warning would wait for an unrelated reconcile; and
 * queueing every Agent on every round would reconcile them all every 15 s for
 * nothing. The same pure verdict the plan computes decides.
 */
export function wakeOnUsageChange(caches: Caches, usage: { usageOf(pods: readonly V1Pod[]): ContainerUsage[] }, pods: readonly V1Pod[], wake: (key: string) => void): void {
  const agentsSeen = new Set<string>();
  for (const p of pods) {
    const label = p.metadata?.labels?.[agentLabel];
    if (label !== undefined) agentsSeen.add(`${p.metadata?.namespace ?? ''}\0${label}`);
  }
  for (const id of agentsSeen) {
    const [ns, label] = id.split('\0') as [string, string];
    for (const stored of caches.agents.list(ns).filter((a) => labelValue(a.metadata.name) === label)) {
      const own = caches.pods.byIndex(ns, byAgentLabel, label).filter((p) => p.metadata?.namespace === ns);
      const readings = usage.usageOf(own);
      if (!readings.length) continue;
      const { agent } = readAgent(stored);
      const v = usageVerdicts(readings, agent.status?.conditions, resolveSpec(agent.spec).recovery);
      if (usageConditionsDiffer(v, agent.status?.conditions, agent.metadata.generation ?? 0)) wake(keyOf(ns, agent.metadata.name));
    }
  }
}

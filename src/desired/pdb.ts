import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ResolvedSpec } from './defaults.ts';
import { selectorLabels } from './labels.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { pdbName } from './names.ts';

/**
 * A PodDisruptionBudget when replicas > 1 (with one replica a budget either
 * blocks every node drain or protects nothing).
 *
 * With spec.disruption.minAvailable the budget is exactly that. Without it the
 * default is `maxUnavailable: 1`, which is "replicas - 1 must stay" but
 * follows scaling (kubectl scale, an HPA) without rewriting the budget, and
 * counts against the Deployment's own replica count during a surge.
 *
 * unhealthyPodEvictionPolicy AlwaysAllow: a pod that is not Ready protects
 * nothing, and a crash-looping agent must not block a node drain.
 */
export function pdb(owner: Owner, spec: ResolvedSpec): Owned<V1PodDisruptionBudget> | undefined {
  // A DaemonSet's pods are bound to their nodes: a drain that evicts one loses nothing another pod could take over.
  if (spec.replicas <= 1 || spec.mode === 'DaemonSet') return undefined;
  const budget = spec.disruption ? { minAvailable: intOrPercent(spec.disruption.minAvailable) } : { maxUnavailable: 1 };
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(owner, pdbName(owner.name)),
    spec: {
      selector: { matchLabels: selectorLabels(owner.name) },
      ...budget,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

/** "2" means the number 2: an int-or-string that is a string must be a percentage, or the apiserver refuses the budget. */
function intOrPercent(value: number | string): number | string {
  return typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
}

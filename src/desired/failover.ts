import type { V1Toleration } from '@kubernetes/client-node';
import { nodeLostTaints } from '../api/failover.ts';
import type { ResolvedSpec } from './defaults.ts';

/**
 * The pod's tolerations: the user's, then ours for a lost node. Without ours
 * the DefaultTolerationSeconds admission plugin adds 300 s for both taints,
 * and a pod on a dead node counts as running for five minutes.
 *
 * None in DaemonSet mode: the DaemonSet controller adds its own (no
 * eviction), since a node's agent has no other node to go to. A user
 * toleration with the same key wins: it was written on purpose.
 */
export function podTolerations(spec: ResolvedSpec): V1Toleration[] {
  const user = (spec.podTemplate.tolerations ?? []) as V1Toleration[];
  if (spec.mode === 'DaemonSet') return [...user];
  const named = new Set(user.map((t) => t.key));
  const ours = nodeLostTaints.filter((key) => !named.has(key))
    .map((key): V1Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: spec.failover.nodeLostSeconds }));
  return [...user, ...ours];
}

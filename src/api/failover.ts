import { z } from 'zod';
import { doc } from './cel.ts';

/**
 * Kubernetes evicts a pod from an unreachable node only after 300 s (the
 * DefaultTolerationSeconds admission plugin), on top of the node monitor's
 * grace period. For an agent that is minutes of lost logs or metrics; a
 * network blip shorter than this still leaves the pod in place.
 */
export const failoverDefaults = { nodeLostSeconds: 30 } as const;

export const Failover = doc(z.object({
  nodeLostSeconds: doc(z.int().min(0).max(3600).optional(), {
    description: `Seconds a pod stays bound to a node that is NotReady or unreachable before it is evicted and replaced elsewhere (its tolerations for node.kubernetes.io/not-ready and node.kubernetes.io/unreachable). Default ${failoverDefaults.nodeLostSeconds} (Kubernetes' default is 300). Counted after the node lifecycle controller marks the node (its grace period, 40-50 s by default). Not applied in DaemonSet mode (a node's own pod has nowhere else to go) nor when podTemplate.tolerations already name these keys.`,
  }),
}), { description: 'What happens to the Agent\'s pods when their node is lost.' });
export type Failover = z.infer<typeof Failover>;

import { z } from 'zod';
import { doc } from './cel.ts';

/**
 * Kubernetes evicts a pod from an unreachable node only after 300 s (the
 * DefaultTolerationSeconds admission plugin), on top of the node monitor's
 * grace period. For an agent that is minutes of lost logs or metrics; a
 * network blip shorter than this still leaves the pod in place.
 */
export const failoverDefaults = { nodeLostSeconds: 30, releaseStatefulPods: 'Never', nodeGoneSeconds: 300 } as const;

/** The taints the node lifecycle controller puts on a node it has lost (tolerated for nodeLostSeconds; read by src/health/node-lost.ts). */
export const nodeLostTaints = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'] as const;

export const Failover = doc(z.object({
  nodeLostSeconds: doc(z.int().min(0).max(3600).optional(), {
    description: `Seconds a pod stays bound to a node that is NotReady or unreachable before it is evicted and replaced elsewhere (its tolerations for node.kubernetes.io/not-ready and node.kubernetes.io/unreachable). Default ${failoverDefaults.nodeLostSeconds} (Kubernetes' default is 300). Counted after the node lifecycle controller marks the node (its grace period, 40-50 s by default). Not applied in DaemonSet mode (a node's own pod has nowhere else to go) nor when podTemplate.tolerations already name these keys.`,
  }),
  releaseStatefulPods: doc(z.enum(['Never', 'ForceDelete']).optional(), {
    description: `StatefulSet mode, and Deployment mode with a ReadWriteOnce storage volume (rolled out by Recreate, which starts the new pod only once the old one is gone): what happens to a pod whose node is gone (lost for nodeGoneSeconds). Never (default): Kubernetes' own behaviour, the pod stays Terminating and its replica stays down until the node comes back or someone deletes the Node object or the pod, because Kubernetes cannot know the pod has stopped. ForceDelete: the operator force-deletes the pod (grace period 0), and the StatefulSet controller recreates it (same name and volume claim), or the Deployment starts its replacement, on another node. RISK: if the node is only cut off, not dead, the old pod keeps running there and two copies of the replica run at once (split brain: both write the same state, a ReadWriteOnce volume on network storage may be attached twice). Choose ForceDelete only for agents that tolerate that, or with a nodeGoneSeconds long enough that a lost node is surely dead. ForceDelete is refused otherwise (a rolling Deployment's pod is replaced once evicted; a DaemonSet's has nowhere else to go).`,
  }),
  nodeGoneSeconds: doc(z.int().min(10).max(86400).optional(), {
    description: `Seconds a node must be lost (Ready Unknown or False, or tainted unreachable/not-ready, counted from when that started) before releaseStatefulPods counts it as gone. Default ${failoverDefaults.nodeGoneSeconds}. A deleted Node object is gone at once, but then Kubernetes' pod garbage collector removes its pods by itself.`,
  }),
}), { description: 'What happens to the Agent\'s pods when their node is lost.' });
export type Failover = z.infer<typeof Failover>;

/** Spec-level: ForceDelete means something only where the replacement waits for the old pod (release-stateful-pod.ts). */
export const failoverRules = [{
  rule: "!has(self.failover) || !has(self.failover.releaseStatefulPods) || self.failover.releaseStatefulPods == 'Never' || (has(self.mode) && self.mode == 'StatefulSet') || ((!has(self.mode) || self.mode == 'Deployment') && has(self.storage) && !(has(self.storage.accessModes) && self.storage.accessModes.exists(m, m == 'ReadWriteMany' || m == 'ReadOnlyMany')))",
  message: 'failover.releaseStatefulPods: ForceDelete applies to StatefulSet pods and to a Deployment with a ReadWriteOnce spec.storage (a rolling Deployment\'s evicted pod is replaced anyway, a DaemonSet\'s has nowhere else to go): remove it, or use spec.mode: StatefulSet on a new Agent',
  fieldPath: '.failover.releaseStatefulPods',
}];

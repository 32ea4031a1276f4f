import { z } from 'zod';
import { doc } from './cel.ts';
import { intOrString } from './common.ts';

/** The workload kind an Agent becomes. */
export const modes = ['Deployment', 'DaemonSet', 'StatefulSet'] as const;
export type Mode = (typeof modes)[number];

/**
 * One pod replaced at a time and no surge: a node agent usually binds a host
 * port or reads node files that two copies would fight over, and a new
 * revision that breaks stops at the first node (the operator rolls it back).
 */
export const daemonSetDefaults = { maxUnavailable: 1, maxSurge: 0 } as const;
/** Kubernetes' own default: each replica waits for the previous one, so a broken revision stops at its first pod. */
export const statefulSetDefaults = { podManagementPolicy: 'OrderedReady' } as const;

export const ModeField = doc(z.enum(modes).optional(), {
  description: 'The workload the Agent becomes: Deployment (default; interchangeable replicas), DaemonSet (one pod per matching node: log forwarders, node metrics; nodes are chosen with podTemplate.nodeSelector/affinity/tolerations, spec.replicas does not apply) or StatefulSet (stable names and one volume per replica from spec.storage: agents with a buffer or WAL). Fixed once set: create a new Agent to change it.',
});

export const DaemonSetOptions = doc(z.object({
  updateStrategy: doc(z.object({
    maxUnavailable: intOrString(`Nodes whose pod may be down during an update (number or percentage). Default ${daemonSetDefaults.maxUnavailable}.`).optional(),
    maxSurge: intOrString(`Nodes that may run the new pod beside the old one during an update (number or percentage). Default ${daemonSetDefaults.maxSurge}; when set above 0, maxUnavailable must be 0 or set.`).optional(),
  }).optional(), { description: 'The DaemonSet RollingUpdate bounds: how much of the fleet a bad revision can reach before the operator rolls it back.' }),
}), {
  description: 'DaemonSet mode only.',
  rules: [{
    rule: '!has(self.updateStrategy) || !has(self.updateStrategy.maxUnavailable) || !has(self.updateStrategy.maxSurge) || self.updateStrategy.maxUnavailable != 0 || self.updateStrategy.maxSurge != 0',
    message: 'daemonSet.updateStrategy.maxUnavailable and maxSurge cannot both be 0 (the rollout could never proceed): raise one of them',
    fieldPath: '.updateStrategy',
  }],
});
export type DaemonSetOptions = z.infer<typeof DaemonSetOptions>;

export const StatefulSetOptions = doc(z.object({
  podManagementPolicy: doc(z.enum(['OrderedReady', 'Parallel']).optional(), {
    description: `OrderedReady (default): pods start and update one at a time in ordinal order; a pod that never becomes Ready is deleted by the operator once the spec moved on or a rollback is decided, so the rollout is never stuck on it. Parallel: all at once. Fixed once set (Kubernetes refuses the change).`,
  }),
}), {
  description: 'StatefulSet mode only. Per-replica storage comes from spec.storage (one claim per replica, kept on delete by storage.retainOnDelete).',
  rules: [{
    rule: 'has(self.podManagementPolicy) == has(oldSelf.podManagementPolicy) && (!has(self.podManagementPolicy) || self.podManagementPolicy == oldSelf.podManagementPolicy)',
    message: 'statefulSet.podManagementPolicy cannot change (a StatefulSet\'s is immutable): create a new Agent to change it',
    fieldPath: '.podManagementPolicy',
    reason: 'FieldValueForbidden',
  }],
});
export type StatefulSetOptions = z.infer<typeof StatefulSetOptions>;

/** `spec.mode` with its default, for CEL rules. */
const modeOf = (s: string) => `(has(${s}.mode) ? ${s}.mode : 'Deployment')`;

/** CEL rules on the spec about modes (spec.ts adds them to its own). */
export const modeRules = [
  {
    rule: `${modeOf('self')} == ${modeOf('oldSelf')}`,
    message: 'spec.mode cannot change on an existing Agent (the workload kind, its pods and its volumes would all be replaced under the same name): create a new Agent with the new mode, then delete this one',
    fieldPath: '.mode',
    reason: 'FieldValueForbidden' as const,
  },
  {
    rule: `${modeOf('self')} != 'DaemonSet' || !has(self.replicas)`,
    message: 'spec.replicas does not apply in DaemonSet mode (one pod per matching node): remove it, and choose nodes with podTemplate.nodeSelector, affinity or tolerations',
    fieldPath: '.replicas',
  },
  {
    rule: `${modeOf('self')} == 'DaemonSet' || !has(self.daemonSet)`,
    message: 'spec.daemonSet applies only in DaemonSet mode: remove it or set spec.mode: DaemonSet on a new Agent',
    fieldPath: '.daemonSet',
  },
  {
    rule: `${modeOf('self')} == 'StatefulSet' || !has(self.statefulSet)`,
    message: 'spec.statefulSet applies only in StatefulSet mode: remove it or set spec.mode: StatefulSet on a new Agent',
    fieldPath: '.statefulSet',
  },
];

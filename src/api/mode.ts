import { z } from 'zod';
import { doc } from './cel.ts';

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

/** 0 or 0%: what Kubernetes counts as "no pods" for a rolling-update bound. */
export const isZero = (v: number | string | undefined) => v === 0 || (typeof v === 'string' && /^0+%$/.test(v));
const zeroCel = (f: string) => `(string(${f}) == '0' || string(${f}).matches('^0+%$'))`;

/**
 * Kubernetes takes a DaemonSet rollout that surges or one that takes pods
 * down, never both and never neither. Returns what is wrong, or undefined;
 * the same check runs as CEL on the CRD (the rules below).
 */
export function daemonSetBoundsProblem(u: { maxUnavailable?: number | string | undefined; maxSurge?: number | string | undefined } | undefined): string | undefined {
  if (!u) return undefined;
  if (u.maxUnavailable !== undefined && u.maxSurge !== undefined && isZero(u.maxUnavailable) === isZero(u.maxSurge)) return bothMessage;
  if (u.maxUnavailable !== undefined && u.maxSurge === undefined && isZero(u.maxUnavailable)) return zeroMessage;
  return undefined;
}
const bothMessage = 'daemonSet.updateStrategy: set exactly one of maxUnavailable and maxSurge above 0 (Kubernetes replaces a node\'s pod either by surging or by taking it down first, not both, and a rollout with neither never proceeds)';
const zeroMessage = 'daemonSet.updateStrategy.maxUnavailable 0 needs maxSurge above 0 (the rollout could never proceed): raise one of them';

/** Rolling-update bound: a number of nodes or a percentage of them (Kubernetes refuses any other text, and more than 100%). */
const rollingBound = (description: string) => {
  const message = 'daemonSet.updateStrategy bounds must be a number of nodes or a percentage from 0% to 100%, such as 1 or 10%';
  const pct = /^([0-9]|[1-9][0-9]|100)%$/;
  return doc(z.union([z.string().max(4).refine((v) => pct.test(v), { message }), z.int().min(0)]), {
    description, ext: { 'x-kubernetes-int-or-string': true },
    rules: [{ rule: "type(self) == int || string(self).matches('^([0-9]|[1-9][0-9]|100)%$')", message }],
  });
};

export const DaemonSetOptions = doc(z.object({
  updateStrategy: doc(z.object({
    maxUnavailable: rollingBound(`Nodes whose pod may be down during an update (number or percentage). Default ${daemonSetDefaults.maxUnavailable}, or 0 when maxSurge is above 0.`).optional(),
    maxSurge: rollingBound(`Nodes that may run the new pod beside the old one during an update (number or percentage). Default ${daemonSetDefaults.maxSurge}. Exactly one of maxUnavailable and maxSurge is above 0.`).optional(),
  }).optional(), { description: 'The DaemonSet RollingUpdate bounds: how much of the fleet a bad revision can reach before the operator rolls it back.' }),
}).superRefine((o, ctx) => {
  const problem = daemonSetBoundsProblem(o.updateStrategy);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['updateStrategy'] });
}), {
  description: 'DaemonSet mode only.',
  rules: [
    {
      rule: `!has(self.updateStrategy) || !has(self.updateStrategy.maxUnavailable) || !has(self.updateStrategy.maxSurge) || ${zeroCel('self.updateStrategy.maxUnavailable')} != ${zeroCel('self.updateStrategy.maxSurge')}`,
      message: bothMessage,
      fieldPath: '.updateStrategy',
    },
    {
      rule: `!has(self.updateStrategy) || !has(self.updateStrategy.maxUnavailable) || has(self.updateStrategy.maxSurge) || !${zeroCel('self.updateStrategy.maxUnavailable')}`,
      message: zeroMessage,
      fieldPath: '.updateStrategy.maxUnavailable',
    },
  ],
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
  // A StatefulSet's volumeClaimTemplates are immutable (the apiserver refuses
  // any change but replicas, template, updateStrategy, minReadySeconds and
  // the claim retention policy), and spec.storage is its one claim template:
  // refused here, with the way to grow, instead of an ApplyFailed later.
  {
    rule: `${modeOf('self')} != 'StatefulSet' || has(self.storage) == has(oldSelf.storage)`,
    message: 'spec.storage cannot be added to or removed from a StatefulSet-mode Agent (a StatefulSet\'s volumeClaimTemplates are immutable): create a new Agent with the storage it needs',
    fieldPath: '.storage',
    reason: 'FieldValueForbidden' as const,
  },
  {
    rule: `${modeOf('self')} != 'StatefulSet' || !has(self.storage) || !has(oldSelf.storage) || quantity(string(self.storage.size)).compareTo(quantity(string(oldSelf.storage.size))) == 0`,
    message: 'spec.storage.size cannot change on a StatefulSet-mode Agent (a StatefulSet\'s volumeClaimTemplates are immutable): to grow the volumes, expand each claim (kubectl patch pvc agent-state-<agent>-<ordinal>, where the storage class allows expansion) and keep this size, or create a new Agent with the new size',
    fieldPath: '.storage.size',
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

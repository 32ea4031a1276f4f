import { z } from 'zod';
import { doc } from './cel.ts';
import { failureReasons } from './reasons.ts';
import { remediationLimits } from './recovery.ts';
import { reloadModes } from './config.ts';

export const conditionTypes = ['Ready', 'Available', 'Progressing', 'Degraded', 'DependenciesReady', 'Reconciling', 'Stalled', 'ProbesConfigured', 'MemoryNearLimit', 'CPUThrottled', 'ConfigReloaded'] as const;
export type ConditionType = (typeof conditionTypes)[number];

export const Condition = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: z.string(),
  reason: z.string().min(1).max(1024),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

export const LastFailure = doc(z.object({
  reason: z.enum(failureReasons),
  message: z.string().max(4096),
  pod: z.string().max(253).optional(),
  container: z.string().max(253).optional(),
  exitCode: z.int().optional(),
  lastWords: doc(z.string().max(1024).optional(), { description: "The dead container's last words: the tail of its termination message (its log, under podTemplate.terminationMessagePolicy FallbackToLogsOnError), at most 5 lines / 1 KiB, every referenced Secret value replaced by <redacted Secret name/key>. Left out for a pod of an older revision (it may hold a rotated-out value) and when a referenced Secret cannot be read." }),
  time: z.string(),
  count: doc(z.int().min(0), { description: 'How many distinct failures of this reason have been seen for the current spec generation.' }),
}), { description: 'The most recent failure, in words that name the cause and the fix.' });
export type LastFailure = z.infer<typeof LastFailure>;

export const recoveryActions = ['None', 'RestartPod', 'IncreaseMemory', 'Rollback', 'Hold'] as const;
export type RecoveryAction = (typeof recoveryActions)[number];

export const RecoveryStatus = doc(z.object({
  generation: doc(z.int().min(0).optional(), { description: 'The spec generation this recovery state belongs to; a new generation clears it if it changed the pods (specHash).' }),
  specHash: doc(z.string().max(64).optional(), { description: 'Hash of the spec that defines the pods (all but replicas, disruption, service and managementState): a new generation with the same hash (kubectl scale) keeps the memory override, rollback and hold.' }),
  restartAttempts: doc(z.int().min(0).optional(), { description: 'Operator restarts in the current window.' }),
  windowStart: doc(z.string().optional(), { description: 'Start of the window restartAttempts counts in.' }),
  nextRestartNotBefore: doc(z.string().optional(), { description: 'The backoff schedule: no restart before this time (survives an operator restart).' }),
  lastAction: z.enum(recoveryActions).optional(),
  lastActionTime: z.string().optional(),
  memoryLimit: doc(z.string().optional(), { description: 'Memory limit override in force, raised against OOM kills: after one, or before one with recovery.oomKilled.proactive (the spec is untouched).' }),
  rolledBackFrom: doc(z.string().optional(), { description: 'Revision that failed and was rolled back.' }),
  rolledBackTo: doc(z.string().optional(), { description: 'Revision running instead.' }),
  podDeletions: doc(z.array(z.string().max(64)).max(remediationLimits.maxPodDeletionsPerHour).optional(), { description: `When the operator deleted pods in the last hour (restarts, failed config reloads, pods released from a lost node, StatefulSet pods unblocked): restarts and reload deletions stop at ${remediationLimits.maxPodDeletionsPerHour} per rolling hour whatever the spec says; kept across spec changes.` }),
  healthySince: doc(z.string().optional(), { description: 'When the Agent last became healthy; attempts reset after healthyResetSeconds.' }),
  seenFailures: doc(z.array(z.string().max(512)).max(2048).optional(), { description: 'Failures already counted, one high-water mark per container (pod uid/container@highest instance counted:classes), so a failure is counted once across re-reads and operator restarts; every visible container plus at most 64 gone ones.' }),
}), { description: 'What the operator has done about failures, and its schedule.' });
export type RecoveryStatus = z.infer<typeof RecoveryStatus>;

/** Pods listed in status.config.pods at most; the rest are counted in podsOmitted. */
export const maxConfigPods = 64;

export const ConfigStatus = doc(z.object({
  hash: doc(z.string().max(64), { description: 'sha256 of the rendered config file the spec asks for (what an agent that digests its file reports).' }),
  reload: z.enum(reloadModes),
  pods: doc(z.array(z.object({
    name: z.string().max(253),
    hash: doc(z.string().max(64).optional(), { description: 'The config the operator told this pod it has (the agent-operator.dev/config-hash pod annotation, set after the ConfigMap held it); absent: not told yet.' }),
    reload: doc(z.enum(['Succeeded', 'Failed', 'Pending']).optional(), { description: 'HTTP mode: the reload call for the current hash.' }),
    message: z.string().max(1024).optional(),
  })).max(maxConfigPods), { description: `The pods, by name (at most ${maxConfigPods}).` }),
  podsOmitted: z.int().min(0).optional(),
}), { description: 'reload InPlace/HTTP: which config each pod has been given. The revision does not change with the config in these modes.' });
export type ConfigStatus = z.infer<typeof ConfigStatus>;

export const phases = ['Pending', 'Progressing', 'Running', 'Degraded', 'Failed', 'Unmanaged'] as const;
export type Phase = (typeof phases)[number];

export const AgentStatus = doc(z.object({
  observedGeneration: z.int().min(0).optional(),
  phase: doc(z.enum(phases).optional(), { description: 'One-word summary for the printer column only; read conditions for decisions.' }),
  replicas: z.int().min(0).optional(),
  readyReplicas: z.int().min(0).optional(),
  updatedReplicas: z.int().min(0).optional(),
  availableReplicas: z.int().min(0).optional(),
  desiredReplicas: doc(z.int().min(0).optional(), { description: 'Pods the Agent should have: spec.replicas, or in DaemonSet mode the nodes the DaemonSet schedules on.' }),
  misscheduledReplicas: doc(z.int().min(0).optional(), { description: 'DaemonSet mode: nodes running the Agent\'s pod that its node selection no longer admits.' }),
  readyText: doc(z.string().optional(), { description: 'ready/desired, for the READY column.' }),
  selector: doc(z.string().optional(), { description: 'Label selector of the agent pods (scale subresource).' }),
  restarts: doc(z.int().min(0).optional(), { description: 'Container restarts summed over current pods.' }),
  revision: doc(z.string().optional(), { description: 'Hash of the desired pod template, including the content of every referenced Secret key and ConfigMap layer.' }),
  lastHealthyRevision: doc(z.string().optional(), { description: 'The last revision that was fully available; the Rollback target.' }),
  image: doc(z.string().optional(), { description: 'Image running (differs from spec.image during a rollback).' }),
  conditions: doc(z.array(Condition).max(16).optional(), { description: 'Ready summarises; Reconciling/Stalled follow kstatus.', ext: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } }),
  lastFailure: LastFailure.optional(),
  recovery: RecoveryStatus.optional(),
  config: ConfigStatus.optional(),
}), { description: 'Observed state, written only by the operator.' });
export type AgentStatus = z.infer<typeof AgentStatus>;

import type { V1Pod } from '@kubernetes/client-node';
import type { Mode } from '../api/mode.ts';
import type { Workload } from '../desired/workload.ts';
import type { Reason } from '../api/reasons.ts';
import type { AgentStatus, Phase, RecoveryStatus } from '../api/status.ts';
import { diagnose, type DiagnoseContext } from '../health/diagnose.ts';
import {
  dependencyCycleMessage, dependencyMessage, invalidConfigMessage, invalidSpecMessage, missingReferenceMessage, probesConfiguredMessage,
  probesMissingMessage, some, type ConfigLayerError, type DependencyWait, type MissingReference, type ReferenceSources,
} from '../health/diagnose-spec.ts';
import type { Failure } from '../health/failure.ts';
import { fleetSummary } from '../health/fleet-summary.ts';
import { holdInForceText, memoryOverrideText, rollbackInForceText } from '../recovery/explain.ts';
import type { Action } from '../recovery/decision.ts';
import type { RecoveryPolicy } from '../recovery/steps.ts';
import { setCondition, sortConditions, type ConditionInput } from './conditions.ts';
import { nextLastFailure, type Blocker } from './last-failure.ts';
import type { Rollout } from './rollout-summary.ts';
import { toMs } from '../lib/time.ts';
import { usageConditions, type UsageVerdicts } from './usage-conditions.ts';
import { revisionAnnotation } from '../api/annotations.ts';

/**
 * When Ready is True. This text is the rule (docs and the Argo CD health
 * check quote it); computeReady implements it, in this order, and the first
 * item that fails gives the reason.
 */
export const readyRule = [
  'Ready is True when all of these hold, and otherwise False with the reason of the first that fails:',
  '1. the spec can be carried out: no InvalidSpec, PodSecurityViolation, InvalidConfig or DependencyCycle;',
  '2. nothing holds the rollout: every referenced Secret, ConfigMap and key exists (SecretNotFound, ConfigMapNotFound) and every spec.dependsOn entry is ready (DependencyNotReady);',
  '3. no rollback is in force: the revision running is the one the spec asks for (RolledBack);',
  '4. every desired replica runs the current revision and is ready, and no pod of the Agent has an active failure: the Deployment has observed its latest generation, updated = available = desired, no old pod is left, ready >= desired (the failure\'s reason, else ProgressDeadlineExceeded, RolloutInProgress or Unavailable).',
  'With spec.replicas 0, item 4 holds once no pod is left (reason ScaledToZero).',
  'In DaemonSet mode "desired" is the number of nodes the DaemonSet schedules on and "updated" counts nodes running the current revision; with no such node item 4 holds (reason NoMatchingNodes). A DaemonSet or StatefulSet has no progress deadline: a revision is judged by its pods\' failures.',
  'Warnings (ProbesConfigured=False, MemoryNearLimit=True, CPUThrottled=True) and a memory override in force do not affect Ready; Degraded reports the override.',
  'Over all of these: an object under a name the Agent needs that is not its own (NameConflict), or a write the apiserver refused (ApplyFailed), makes Ready False with that reason.',
].join('\n');

export type DependencyState =
  | { state: 'None' }
  | { state: 'Ready'; names: string[] }
  | { state: 'Waiting'; waits: DependencyWait[] }
  | { state: 'Cycle'; cycle: string[] };

export interface StatusInput {
  now: Date;
  generation: number;
  previous: AgentStatus | undefined;
  /** The workload, of any kind (see DesiredObjects.workload). */
  workload: Workload | undefined;
  /** The kind spec.mode asks for, for the words while none exists yet. Default Deployment. */
  workloadKind?: Mode;
  /** The Agent's pods, for restarts. */
  pods: readonly V1Pod[];
  desiredReplicas: number;
  /** The workload's rollout and the pods' ready-since, read once for the recovery decision and the status (plan.ts). */
  read: { rollout: Rollout; readySince: string | undefined };
  /** Available needs this many available replicas (spec.disruption.minAvailable resolved to a number). Default 1. */
  minAvailable?: number;
  /** The revision the spec asks for. */
  revision: string;
  selector: string;
  failures: readonly Failure[];
  decision: { action: Action; recovery: RecoveryStatus; fresh: readonly Failure[] };
  policy: RecoveryPolicy;
  specMemoryLimit: string;
  dependencies: DependencyState;
  missingReferences: readonly MissingReference[];
  configErrors: readonly ConfigLayerError[];
  invalidSpec: readonly string[];
  /** Why the operator's pod policy refuses the pod (src/policy/pod-policy.ts), if it does. */
  podPolicyViolation?: string | undefined;
  probesMissing: boolean;
  /** While rolled back: the referenced Secret keys that changed since the running revision was built (secret-digests.ts). */
  rollbackSecretChanges?: string | undefined;
  unmanaged: boolean;
  spec?: ReferenceSources | undefined;
  /** A revision becomes lastHealthyRevision after this long ready with no failure (crash loops often look ready for a moment). Default 60. */
  healthyAfterSeconds?: number;
  /** Memory and CPU verdicts from the node metrics (src/usage), when the operator reads them. */
  usage?: UsageVerdicts | undefined;
}

export const defaultHealthyAfterSeconds = 60;

export function computeStatus(input: StatusInput): AgentStatus {
  const { generation, desiredReplicas: desired, decision } = input;
  const rec = decision.recovery;
  const r = input.read.rollout;
  const active = input.failures.filter((f) => f.active);
  const ctx = diagnoseContext(input);
  // A DaemonSet's failures are said per node first, bounded for large fleets.
  const fleet = r.kind === 'DaemonSet' ? fleetSummary(active, input.pods, desired) : undefined;
  const failureText = active.length ? [fleet, some(active.map((f) => diagnose(f, ctx)))].filter(Boolean).join(': ') : undefined;
  const blocker = blockerOf(input);
  const hold = holdOf(input);
  const held = rec.lastAction === 'Hold';

  const c = (type: ConditionInput['type'], status: boolean, reason: Reason, message: string): ConditionInput =>
    ({ type, status: status ? 'True' : 'False', reason, message, observedGeneration: generation });
  const ready = computeReady(input, r, active, failureText, blocker ?? hold);
  const stalled = blocker ?? (held ? { reason: 'RecoveryExhausted' as const, message: [failureText, holdInForceText(input.policy.restart.healthyResetSeconds)].filter(Boolean).join('; ') } : undefined)
    ?? (r.deadlineExceeded ? { reason: 'ProgressDeadlineExceeded' as const, message: deadlineText(input, r, failureText) } : undefined);
  const reconciling = input.unmanaged ? undefined : stalled ? undefined : hold
    ?? (!r.exists ? { reason: 'Reconciling' as const, message: 'creating the Deployment' } : undefined)
    ?? (!r.observed || r.inProgress ? { reason: 'RolloutInProgress' as const, message: progressText(input, r) } : undefined);
  const degraded = degradedOf(input, active, failureText, held);
  const minAvailable = Math.min(input.minAvailable ?? 1, desired);

  const computed: ConditionInput[] = [
    ready,
    !r.exists ? c('Available', false, (blocker ?? hold)?.reason ?? 'Unavailable', `no ${input.workloadKind ?? 'Deployment'} yet${(blocker ?? hold) ? `: ${(blocker ?? hold)!.message}` : ''}`)
      : desired === 0 ? c('Available', true, ...zeroText(r))
      : r.availableReplicas >= minAvailable ? c('Available', true, 'Available', `${r.availableReplicas}/${desired} ${r.kind === 'DaemonSet' ? 'nodes' : 'replicas'} available (at least ${minAvailable} needed)`)
      : c('Available', false, 'Unavailable', `${r.availableReplicas}/${desired} replicas available (at least ${minAvailable} needed)${failureText ? `: ${failureText}` : ''}`),
    r.deadlineExceeded ? c('Progressing', false, 'ProgressDeadlineExceeded', deadlineText(input, r, failureText))
      : !r.exists && (blocker ?? hold) ? c('Progressing', false, (blocker ?? hold)!.reason, (blocker ?? hold)!.message)
      : !r.exists || !r.observed || r.inProgress ? c('Progressing', true, 'RolloutInProgress', progressText(input, r))
      : c('Progressing', false, 'RolloutComplete', `revision ${deployed(input, r)} rolled out`),
    degraded ? c('Degraded', true, degraded.reason, degraded.message) : c('Degraded', false, 'Healthy', 'no failure'),
    dependenciesCondition(input, c),
    input.probesMissing ? c('ProbesConfigured', false, 'ProbesMissing', probesMissingMessage) : c('ProbesConfigured', true, 'ProbesConfigured', probesConfiguredMessage),
    input.unmanaged ? c('Reconciling', false, 'Unmanaged', 'managementState is Unmanaged: the operator only reports')
      : reconciling ? c('Reconciling', true, reconciling.reason, reconciling.message)
      : c('Reconciling', false, stalled ? stalled.reason : 'Reconciled', stalled ? 'stalled: see the Stalled condition' : `revision ${deployed(input, r)} applied and rolled out`),
    stalled ? c('Stalled', true, stalled.reason, stalled.message) : c('Stalled', false, 'Reconciled', 'nothing blocks progress'),
  ];
  computed.push(...usageConditions(input.usage, input.previous?.conditions, generation));
  let conditions = input.previous?.conditions;
  for (const next of computed) conditions = setCondition(conditions, next, input.now);

  const status: AgentStatus = {
    observedGeneration: generation,
    phase: phaseOf(input.unmanaged, !!stalled, !!degraded, ready.status === 'True', r.availableReplicas),
    replicas: r.replicas,
    readyReplicas: r.readyReplicas,
    updatedReplicas: r.updatedReplicas,
    availableReplicas: r.availableReplicas,
    desiredReplicas: desired,
    ...(r.misscheduledReplicas !== undefined ? { misscheduledReplicas: r.misscheduledReplicas } : {}),
    readyText: `${r.readyReplicas}/${desired}`,
    selector: input.selector,
    restarts: restarts(input.pods),
    revision: input.revision,
    conditions: sortConditions(conditions ?? []),
    recovery: rec,
  };
  const image = r.image ?? input.previous?.image;
  if (image !== undefined) status.image = image;
  const lastHealthy = healthyRevision(input, r, active) ?? input.previous?.lastHealthyRevision;
  if (lastHealthy !== undefined) status.lastHealthyRevision = lastHealthy;
  const lastFailure = nextLastFailure({ ...input, ctx, blocker: blocker ?? hold });
  if (lastFailure) status.lastFailure = lastFailure;
  return status;
}

function computeReady(input: StatusInput, r: Rollout, active: readonly Failure[], failureText: string | undefined, blocked: Blocker | undefined): ConditionInput {
  const g = input.generation;
  const no = (reason: Reason, message: string): ConditionInput => ({ type: 'Ready', status: 'False', reason, message, observedGeneration: g });
  if (blocked) return no(blocked.reason, blocked.message);
  const rec = input.decision.recovery;
  if (rec.rolledBackTo !== undefined) return no('RolledBack', rollbackInForceText(rec));
  const desired = input.desiredReplicas;
  if (desired === 0) {
    return r.exists && r.observed && r.replicas === 0
      ? { type: 'Ready', status: 'True', reason: zeroText(r)[0], message: zeroText(r)[1], observedGeneration: g }
      : no('RolloutInProgress', `scaling to zero: ${r.replicas} pods left`);
  }
  const counts = readyCounts(input, r);
  const current = r.revision === undefined || r.revision === input.revision;
  if (r.exists && current && r.complete && r.readyReplicas >= desired && active.length === 0) {
    return { type: 'Ready', status: 'True', reason: 'Ready', message: counts, observedGeneration: g };
  }
  if (failureText) return no(active[0]!.reason, `${counts}: ${failureText}`);
  if (r.deadlineExceeded) return no('ProgressDeadlineExceeded', deadlineText(input, r, undefined));
  if (!r.exists || !r.observed || r.inProgress || !current) return no('RolloutInProgress', progressText(input, r));
  return no('Unavailable', counts);
}

/** What makes the spec impossible to carry out as written (Stalled). */
function blockerOf(input: StatusInput): Blocker | undefined {
  if (input.invalidSpec.length) return { reason: 'InvalidSpec', message: invalidSpecMessage(input.invalidSpec) };
  if (input.podPolicyViolation) return { reason: 'PodSecurityViolation', message: input.podPolicyViolation };
  if (input.configErrors.length) return { reason: 'InvalidConfig', message: invalidConfigMessage(input.configErrors) };
  if (input.dependencies.state === 'Cycle') return { reason: 'DependencyCycle', message: dependencyCycleMessage(input.dependencies.cycle) };
  return undefined;
}

/** What the rollout waits for (Reconciling): it can clear without a spec change. */
function holdOf(input: StatusInput): Blocker | undefined {
  const missing = input.missingReferences;
  if (missing.length) return { reason: missing[0]!.kind === 'Secret' ? 'SecretNotFound' : 'ConfigMapNotFound', message: missingReferenceMessage(missing, input.spec) };
  if (input.dependencies.state === 'Waiting') return { reason: 'DependencyNotReady', message: dependencyMessage(input.dependencies.waits) };
  return undefined;
}

function degradedOf(input: StatusInput, active: readonly Failure[], failureText: string | undefined, held: boolean): Blocker | undefined {
  const rec = input.decision.recovery;
  const parts: string[] = [];
  let reason: Reason | undefined;
  if (failureText) {
    reason = active[0]!.reason;
    parts.push(failureText);
  }
  if (rec.rolledBackTo !== undefined) {
    reason = 'RolledBack';
    parts.push(rollbackInForceText(rec));
    if (input.rollbackSecretChanges) parts.push(input.rollbackSecretChanges);
  }
  if (held) {
    reason ??= 'RecoveryExhausted';
    parts.push(holdInForceText(input.policy.restart.healthyResetSeconds));
  }
  if (rec.memoryLimit !== undefined) {
    reason ??= 'MemoryIncreased';
    parts.push(memoryOverrideText(rec.memoryLimit, input.specMemoryLimit, input.policy.oomKilled.maxMemory));
  }
  return reason ? { reason, message: parts.join('; ') } : undefined;
}

function dependenciesCondition(input: StatusInput, c: (type: ConditionInput['type'], status: boolean, reason: Reason, message: string) => ConditionInput): ConditionInput {
  const d = input.dependencies;
  switch (d.state) {
    case 'None': return c('DependenciesReady', true, 'NoDependencies', 'spec.dependsOn is empty');
    case 'Ready': return c('DependenciesReady', true, 'DependenciesReady', `every dependency is ready: ${d.names.join(', ')}`);
    case 'Waiting': return c('DependenciesReady', false, 'DependencyNotReady', dependencyMessage(d.waits));
    case 'Cycle': return c('DependenciesReady', false, 'DependencyCycle', dependencyCycleMessage(d.cycle));
  }
}

function phaseOf(unmanaged: boolean, stalled: boolean, degraded: boolean, ready: boolean, available: number): Phase {
  if (unmanaged) return 'Unmanaged';
  if (stalled) return 'Failed';
  if (degraded) return 'Degraded';
  if (ready) return 'Running';
  return available > 0 ? 'Progressing' : 'Pending';
}

function runRevision(input: StatusInput): string {
  return input.decision.recovery.rolledBackTo ?? input.revision;
}

/** The revision the workload carries (it differs from the spec's while a rollout is held). */
function deployed(input: StatusInput, r: Rollout): string {
  return r.revision ?? runRevision(input);
}

function progressText(input: StatusInput, r: Rollout): string {
  if (!r.exists) return `creating the ${input.workloadKind ?? 'Deployment'}`;
  // Status is computed from the workload as read, before this reconcile applies the new
  // template: then the revision being rolled out is the one the operator runs, not the old one.
  const target = runRevision(input);
  if (r.revision !== undefined && r.revision !== target) return `rolling out revision ${target}: the ${r.kind ?? 'Deployment'} still runs revision ${r.revision}`;
  return `rolling out revision ${deployed(input, r)}${r.kind === 'DaemonSet' ? ' node by node' : ''}: ${r.updatedReplicas}/${input.desiredReplicas} updated, ${r.availableReplicas}/${input.desiredReplicas} available`;
}

function deadlineText(input: StatusInput, r: Rollout, failureText: string | undefined): string {
  const why = failureText ?? r.deadlineMessage ?? 'no pod became available';
  return `revision ${deployed(input, r)} did not become available within the Deployment's progress deadline: ${why}`;
}

/** The revision running counts as healthy once it has been complete, ready and failure-free for healthyAfterSeconds. */
function healthyRevision(input: StatusInput, r: Rollout, active: readonly Failure[]): string | undefined {
  const since = healthyStretchStart(input.decision.recovery, input.read.readySince);
  if (since === undefined || active.length || !r.complete || input.desiredReplicas === 0) return undefined;
  if (input.now.getTime() - since < (input.healthyAfterSeconds ?? defaultHealthyAfterSeconds) * 1000) return undefined;
  return r.revision ?? runRevision(input);
}

/** The pods' own record bounds the operator's: a crash it did not see breaks the stretch too. */
function healthyStretchStart(rec: RecoveryStatus | undefined, podsReadySince: string | undefined): number | undefined {
  const seen = toMs(rec?.healthySince);
  const podsUp = toMs(podsReadySince);
  return seen === undefined || podsUp === undefined ? seen : Math.max(seen, podsUp);
}

/**
 * How long until the revision running healthy now will have been so for
 * healthyAfterSeconds and becomes lastHealthyRevision: the reconcile is due
 * then: no watch event says so. When a periodic pass found it, up to 15 s
 * late, a bad release in that gap had no revision to roll back to (make chaos).
 */
export function healthyRevisionDueInMs(status: AgentStatus, podsReadySince: string | undefined, now: Date, healthyAfterSeconds = defaultHealthyAfterSeconds): number | undefined {
  // Zero replicas prove nothing (healthyRevision): no timer to wait for.
  if (status.revision === undefined || status.lastHealthyRevision === status.revision || status.desiredReplicas === 0) return undefined;
  const since = healthyStretchStart(status.recovery, podsReadySince);
  const due = since === undefined ? undefined : since + healthyAfterSeconds * 1000 - now.getTime();
  return due !== undefined && due > 0 ? due : undefined;
}

/**
 * "N/D replicas ready at revision R", counted from the pods of R: the
 * Deployment's readyReplicas also counts old pods, and a healthy old pod must
 * not read as the new revision being ready. The old ones are named apart.
 */
function readyCounts(input: StatusInput, r: Rollout): string {
  const live = input.pods.filter((p) => p.metadata?.deletionTimestamp === undefined && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (input.pods.length === 0) return `${r.readyReplicas}/${input.desiredReplicas} replicas ready at revision ${input.revision}`;
  const atRevision = live.filter((p) => p.metadata?.annotations?.[revisionAnnotation] === input.revision).length;
  const older = live.length - atRevision;
  return `${atRevision}/${input.desiredReplicas} replicas ready at revision ${input.revision}${older > 0 ? ` (${older} ready at an older revision)` : ''}`;
}

/** Nothing to run: by request (spec.replicas 0), or in DaemonSet mode because no node admits the pods. */
function zeroText(r: Rollout): [Reason, string] {
  return r.kind === 'DaemonSet'
    ? ['NoMatchingNodes', 'no node admits the Agent\'s pods (podTemplate.nodeSelector, affinity, tolerations): nothing runs']
    : ['ScaledToZero', 'spec.replicas is 0: nothing runs, by request'];
}

function restarts(pods: readonly V1Pod[]): number {
  return pods.reduce((sum, p) => sum + (p.status?.containerStatuses ?? []).reduce((s, cs) => s + (cs.restartCount ?? 0), 0), 0);
}

function diagnoseContext(input: StatusInput): DiagnoseContext {
  const ctx: DiagnoseContext = {
    memory: {
      action: input.policy.oomKilled.action,
      inForce: input.decision.recovery.memoryLimit ?? input.specMemoryLimit,
      max: input.policy.oomKilled.maxMemory,
    },
  };
  if (input.spec) ctx.spec = input.spec;
  return ctx;
}

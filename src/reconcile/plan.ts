import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { AgentStatus, RecoveryStatus } from '../api/status.ts';
import { desiredTemplate, objectsFrom, runningTemplate } from '../desired/index.ts';
import { resolveSpec, type ResolvedSpec } from '../desired/defaults.ts';
import { revisionAnnotation, selectorString } from '../desired/labels.ts';
import { detect, type Detection } from '../health/detect.ts';
import type { ConfigLayerError, MissingReference } from '../health/diagnose-spec.ts';
import type { Failure } from '../health/failure.ts';
import { readySince } from '../health/ready-since.ts';
import { detectReplicaFailures } from '../health/replica-failure.ts';
import { assertNever } from '../lib/assert-never.ts';
import { defaultPodPolicy, podPolicyMessage, podPolicyProblems, type PodPolicy } from '../policy/pod-policy.ts';
import { withBlocker } from '../status/blocked.ts';
import { refinementEvent } from '../status/last-failure.ts';
import type { AgentEvent } from '../api/reasons.ts';
import type { Action } from '../recovery/decision.ts';
import { decide } from '../recovery/policy.ts';
import { holdRefusedRaise } from '../recovery/refused-raise.ts';
import { deletionCeilingLiftsInMs, deletionCeilingText, recordDeletion } from '../recovery/limits.ts';
import { nodeLostFailures, withNodeLost } from '../health/node-lost.ts';
import { computeStatus, healthyRevisionDueInMs, type DependencyState as StatusDependencies } from '../status/compute.ts';
import { healthyPodsOfOtherRevisions, readRollout, revisionFailing, rolloutHealthy } from '../status/rollout.ts';
import type { Rollout } from '../status/rollout-summary.ts';
import { desiredPods } from '../status/workload-rollout.ts';
import { statusChanged, transitionEvents } from '../status/transitions.ts';
import { progressWriteDue, remedyRolloutLeftMs } from '../status/progress-writes.ts';
import type { Observed } from './gather.ts';
import { heldTemplate, planObjects, type Writes } from './plan-objects.ts';
import { podDelete, type PodDelete } from './plan-deletes.ts';
import { usageVerdicts } from '../status/usage-conditions.ts';
import { carryAcrossGenerations, podSpecKey } from './pod-spec-key.ts';
import { secretChangesSince, secretChangesText } from '../desired/secret-digests.ts';
import { readManualRequests } from '../recovery/manual.ts';
import { pastRevisions, type PastRevision } from './revisions.ts';
import { planConfigReload, withConfigReload, type PodToTell, type ReloadCall } from './config-reload.ts';

// Decide, purely: what one reconcile writes, given what gather observed.
// The same Observed always gives the same Plan, and a converged Agent gives a
// Plan with nothing in it (docs/architecture.md, "Zero writes when converged").
// It decides before it builds: the recovery decision reads only the observed
// state and the template and revision in force, and the objects are built once,
// from what was decided (docs/architecture.md, "Decide, then build").

export interface Plan extends Writes {
  /** A failing pod to delete (RestartPod), guarded by uid; force (grace 0): a pod of a gone node that its replacement waits for (StatefulSet, Recreate Deployment: releaseStatefulPods). */
  deletePod?: PodDelete;
  /** reload InPlace/HTTP: pods to annotate with the config they now have (after the ConfigMap apply). */
  tellPods?: PodToTell[];
  /** reload HTTP: reload endpoints to call, each outcome recorded on its pod. */
  reloadCalls?: ReloadCall[];
  /** The next status, only when it differs from the current one. */
  status?: AgentStatus;
  /** The status as computed, written or not (act lays an apply refusal over it). */
  computed: AgentStatus;
  now: Date;
  events: AgentEvent[];
  action: Action;
  /** The rollout waits (a dependency, a missing reference, an invalid spec, a refused pod): the reconcile's outcome is `held`. */
  held: boolean;
  /** Failures counted for the first time in this reconcile (metrics). */
  fresh: Failure[];
  requeueAfterMs?: number;
}

/**
 * Reconcile again this soon while the Agent waits on a change no watch
 * reports: an object under one of its names that is not its own (a hand-made
 * Service is outside the caches, which hold the operator's objects only, so
 * its deletion raises no event), or an apply the apiserver refused (a quota
 * freed, a policy or webhook changed elsewhere: reconciler.ts).
 *
 * Every other wait is either a watch event (the Deployment controller's
 * progress and its progress deadline, the pods, dependencies, referenced
 * Secrets and ConfigMaps, usage readings: watches.ts, usage-wake.ts) or a
 * time plan computes (requeueAfterMs). There is no periodic pass of unsettled
 * Agents: with 10,000 Agents waiting on the control plane it was ~470
 * reconciles a second that found nothing new (README, issue 13). The
 * controller's resync (10 h, controller-runtime's SyncPeriod) stays the net
 * under a missed event.
 */
export const unwatchedRetryMs = 15_000;

export interface PlanOptions {
  /** What the schema refused in an Agent the apiserver stored anyway (reconciler.ts): InvalidSpec, and the rollout held. */
  invalidSpec?: readonly string[];
  podPolicy?: PodPolicy;
  /** Seconds a revision must run healthy before it is the Rollback target. */
  healthyAfterSeconds?: number;
  /** The pure builder of the desired objects; tests count its calls through this. */
  buildObjects?: typeof objectsFrom;
}

export function plan(o: Observed, { invalidSpec = [], podPolicy = defaultPodPolicy, healthyAfterSeconds, buildObjects = objectsFrom }: PlanOptions = {}): Plan {
  const { now } = o;
  const agent = keepRunningReplicas(o, invalidSpec);
  const revisions = pastRevisions(o);
  const spec = resolveSpec(agent.spec);
  const generation = agent.metadata.generation ?? 0;
  const previous = agent.status;
  const unmanaged = spec.managementState === 'Unmanaged';
  const missing: MissingReference[] = o.references.missing.filter((m) => !m.optional)
    .map((m) => ({ kind: m.kind, name: m.name, ...(m.key !== undefined ? { key: m.key } : {}) }));
  const dependencies = statusDependencies(o);
  // Dependencies gate the first start only: an agent that has run stays up when a dependency flaps.
  const holdForDependencies = !o.dependencies.ready && previous?.lastHealthyRevision === undefined;

  const specKey = podSpecKey(agent.spec);
  const carried = carryAcrossGenerations(previous?.recovery, generation, specKey);
  const prevRecovery = carried?.generation === generation ? carried : undefined;
  const inputs = {
    referenceDigests: o.references.digests,
    configLayers: (agent.spec.config?.layers ?? []).map((l) => l.configMap ? o.references.configMapTexts[`${l.configMap.name}/${l.configMap.key}`] : undefined),
  };
  // Decide on the template in force: the revision the decision speaks of carries the memory limit applied so far.
  const current = desiredTemplate(agent, { ...inputs, ...memoryOverride(prevRecovery) });
  const configErrors: ConfigLayerError[] = [];
  const problems = [...invalidSpec];
  if (!current.ok) {
    switch (current.reason) {
      case 'InvalidConfig': configErrors.push({ layer: -1, problem: current.message }); break;
      case 'ConfigMapNotFound': break; // reported through references.missing
      case 'InvalidSpec': problems.push(current.message); break;
      default: assertNever(current.reason);
    }
  }

  // spec.replicas, or in DaemonSet mode the nodes the DaemonSet controller schedules on.
  const desiredCount = desiredPods(spec.replicas, o.workload);
  // Read once, for the recovery decision and the status alike.
  const rollout = readRollout(o.workload, desiredCount);
  const podsReadySince = readySince(o.pods);
  const revision = current.ok ? current.revision : (previous?.revision ?? '');
  const { detection, failures } = observeFailures(o, spec, revision, prevRecovery?.memoryLimit);
  const usage = o.usage ? usageVerdicts(o.usage, previous?.conditions, spec.recovery) : undefined;
  const decision = holdRefusedRaise(decide({
    policy: spec.recovery,
    generation,
    previous: carried,
    failures,
    now,
    healthy: rolloutHealthy(rollout, desiredCount),
    unmanaged,
    specMemoryLimit: spec.resources.limits.memory ?? '',
    revision,
    lastHealthyRevision: previous?.lastHealthyRevision,
    rolloutInProgress: replacingPods(rollout, desiredCount) && !revisionFailing(o.pods, rollout.revision, failures),
    readySince: podsReadySince,
    spec: agent.spec,
    manual: { requests: readManualRequests(agent.metadata.annotations), available: revisionsOf(revisions) },
    memoryNearLimit: usage?.memory.state === 'warn' ? usage.memory.finding : undefined,
  }), failures, now);
  const rec = { ...decision.recovery, generation, specHash: specKey };
  const healthyPodsServing = current.ok && healthyPodsOfOtherRevisions(o.pods, runningTemplate(current, rollbackOverride(prevRecovery, revisions)).appliedRevision, failures);
  // Decided: the template with the memory limit the decision leaves in force, run as the rollback says.
  const next = current.ok && rec.memoryLimit !== prevRecovery?.memoryLimit ? desiredTemplate(agent, { ...inputs, ...memoryOverride(rec) }) : current;
  const rollbackTo = rollbackOverride(rec, revisions);
  const running = next.ok ? runningTemplate(next, rollbackTo) : undefined;
  // Checked on the template that would be applied (a rollback target too): a pod the policy refuses is never written.
  const refused = running ? podPolicyProblems(podPolicy, agent.metadata.namespace ?? '', running.template, spec.mode) : [];

  // A rollback restores the template and config, not the Secrets the pods read: say which changed since.
  const secretDrift = rec.rolledBackTo === undefined ? undefined
    : secretChangesText(rec.rolledBackTo, secretChangesSince(rollbackTo, o.references.digests, o.references.missing));
  // A missing reference, an invalid spec or a refused pod holds the rollout (planObjects).
  const holdRollout = missing.length > 0 || problems.length > 0 || refused.length > 0;
  // The config reaches running pods (reload InPlace/HTTP) only when this reconcile applies the spec's ConfigMap.
  const reload = !unmanaged && !holdRollout && next.ok && next.config && next.config.reload.mode !== 'Restart' && !(o.conflicts ?? []).some((c) => c.kind === 'ConfigMap')
    ? planConfigReload({ pods: o.pods, config: next.config, previous, generation, now, deletionCeiling: deletionCeilingText(rec, now.getTime()), deletionCeilingLiftsInMs: deletionCeilingLiftsInMs(rec, now.getTime()) })
    : undefined;
  const keep = !unmanaged && holdRollout && next.ok ? heldTemplate(o, revisions, next, podPolicy) : undefined;
  const toRun = next.ok && !unmanaged ? keep ?? running : undefined;
  const deletes = unmanaged ? undefined
    : podDelete(o, { action: decision.action, reloadRestart: reload?.restart, holdRollout, appliedRevision: toRun?.appliedRevision, failures, failover: spec.failover });
  // Before the status is computed: every deletion counts toward the hourly ceiling (the policy records its own).
  if (deletes?.deletePod && deletes.cause !== 'Recovery') recordDeletion(rec, now.getTime());
  const status = withConfigReload(computeStatus({
    now,
    ...(healthyAfterSeconds !== undefined ? { healthyAfterSeconds } : {}),
    generation,
    previous,
    workload: o.workload,
    workloadKind: spec.mode,
    pods: o.pods,
    desiredReplicas: desiredCount,
    read: { rollout, readySince: podsReadySince },
    minAvailable: minAvailable(spec, desiredCount),
    revision,
    selector: selectorString(agent.metadata.name),
    failures,
    decision: { ...decision, recovery: rec },
    policy: spec.recovery,
    specMemoryLimit: spec.resources.limits.memory ?? '',
    dependencies,
    missingReferences: missing,
    configErrors,
    invalidSpec: problems,
    ...(refused.length ? { podPolicyViolation: podPolicyMessage(refused) } : {}),
    probesMissing: next.ok && next.warnings.some((w) => w.reason === 'ProbesMissing'),
    ...(secretDrift ? { rollbackSecretChanges: secretDrift } : {}),
    unmanaged,
    spec: agent.spec,
    usage,
  }), reload ?? (spec.config && spec.config.reload.mode !== 'Restart' ? 'held' : undefined), now, previous);

  const conflicts = o.conflicts ?? [];
  const blocked = conflicts.length ? withBlocker(status, previous, { reason: 'NameConflict', message: conflicts.map((c) => c.message).join('; ') }, generation, now) : status;
  const corrected = refinementEvent(previous?.lastFailure, blocked.lastFailure);
  const events = [...decision.events.map((e) => (e.reason === 'RolledBack' && secretDrift ? { ...e, message: `${e.message}; ${secretDrift}` } : e)), ...(reload?.events ?? []), ...(corrected ? [corrected] : [])];
  const out: Plan = { apply: [], creates: [], remove: [], events, action: decision.action, held: holdRollout || holdForDependencies, fresh: decision.fresh, computed: blocked, now };
  if (!unmanaged) {
    // Built once, from what was decided.
    const objects = next.ok && toRun ? buildObjects(next, toRun, { holdForDependencies, healthyPodsServing }) : undefined;
    if (objects) planObjects(out, objects, o, revisions, holdRollout, keep !== undefined);
    // A stored value the schema refused is read as unset (api/stored-agent.ts): what such a reading seems to drop is not removed.
    if (invalidSpec.length) out.remove = [];
    if (reload?.tell.length) out.tellPods = reload.tell;
    if (reload?.calls.length) out.reloadCalls = reload.calls;
  }
  if (deletes?.deletePod) out.deletePod = deletes.deletePod;
  out.events.push(...(deletes?.events ?? []));
  // A rollout's progress counters alone wait a little for the write that follows (status/progress-writes.ts).
  const progressDue = statusChanged(previous, blocked) ? progressWriteDue(previous, blocked, now) : undefined;
  if (statusChanged(previous, blocked) && progressDue === undefined) {
    out.status = blocked;
    // Each fact once: not what the policy's events say, nor a remedy's rollout its event announced (status/transitions.ts).
    out.events.push(...transitionEvents(previous, blocked, { events: out.events, remedyRolling: remedyRolloutLeftMs(blocked, now) !== undefined }));
  }
  // Every rule that changes with time alone says when (docs/architecture.md, "When an Agent is reconciled"):
  // a probe window that closes, a grace that ends, a Killing event read late (detect); a remediation
  // step, an attempt window, a reset (decide); a status write held back; a reload call, or a failed
  // reload's pod the hourly ceiling holds; the healthy-revision timer; a lost node's release. And a name
  // conflict, retried every unwatchedRetryMs since no watch sees it clear. The rest comes by watch.
  const detectionDue = detection.nextCheckAt === undefined ? undefined : Math.max(0, detection.nextCheckAt - now.getTime());
  const healthyDue = unmanaged ? undefined : healthyRevisionDueInMs(status, podsReadySince, now, healthyAfterSeconds);
  const conflictRetry = conflicts.length && !unmanaged ? unwatchedRetryMs : undefined;
  const requeue = [decision.requeueAfterMs, detectionDue, progressDue, reload?.requeueAfterMs, healthyDue, deletes?.releaseDueInMs, conflictRetry].filter((v): v is number => v !== undefined);
  if (requeue.length) out.requeueAfterMs = Math.min(...requeue);
  return out;
}

/**
 * A refused spec.replicas reads as unset (src/api/stored-agent.ts), and unset
 * is 1: an Agent stored with a bad count would scale its running workload
 * down. While the count is refused, the workload's own count stands in for it.
 */
function keepRunningReplicas(o: Observed, invalidSpec: readonly string[]): Observed['agent'] {
  const running = o.workload?.spec && 'replicas' in o.workload.spec ? o.workload.spec.replicas : undefined;
  if (running === undefined || !invalidSpec.some((p) => p.startsWith('spec.replicas'))) return o.agent;
  return { ...o.agent, spec: { ...o.agent.spec, replicas: running } };
}

/**
 * The recovery policy leaves a rollout alone while the Deployment controller
 * is still replacing pods (and, in plan, while some new pod is not failing).
 * Once every pod runs the new revision, its failures are the new revision's,
 * and waiting out the whole progress deadline (600 s) would only delay the
 * remedy.
 */
function replacingPods(r: Rollout, desired: number): boolean {
  if (!r.inProgress) return false;
  const allUpdated = r.observed && r.updatedReplicas >= desired && r.replicas <= r.updatedReplicas;
  return !allUpdated;
}

/** Revisions the workload still keeps a template of (ReplicaSets or ControllerRevisions). */
function revisionsOf(revisions: readonly PastRevision[]): string[] {
  return [...new Set(revisions.map((r) => r.template.metadata?.annotations?.[revisionAnnotation]).filter((r): r is string => !!r))];
}

/** The template of the revision rolled back to, while the workload still keeps it. */
function rollbackOverride(rec: RecoveryStatus | undefined, revisions: readonly PastRevision[]): V1PodTemplateSpec | undefined {
  if (rec?.rolledBackTo === undefined) return undefined;
  return revisions.find((r) => r.template.metadata?.annotations?.[revisionAnnotation] === rec.rolledBackTo)?.template;
}

function memoryOverride(rec: RecoveryStatus | undefined): { memoryLimitOverride?: string } {
  return rec?.memoryLimit !== undefined ? { memoryLimitOverride: rec.memoryLimit } : {};
}

/** What is failing, from the pods, the claim, the ReplicaSets and the nodes (src/health). */
function observeFailures(o: Observed, spec: ResolvedSpec, revision: string, memoryLimitInForce: string | undefined): { detection: Detection; failures: Failure[] } {
  const now = o.now;
  const detection = detect({
    pods: o.pods,
    ...(o.pvc ? { pvc: o.pvc } : {}),
    ...(spec.health.readiness ? { readiness: spec.health.readiness } : {}),
    // Only the user's startup window: the default one is liveness's safety net (see DetectInput.startup).
    ...(spec.health.startup && o.agent.spec.health?.startup ? { startup: spec.health.startup } : {}),
    // the default startup probe still holds readiness back until its first pass
    ...(spec.health.startup && !o.agent.spec.health?.startup ? { startupFirstPassSeconds: spec.health.startup.initialDelaySeconds + spec.health.startup.periodSeconds } : {}),
    livenessKills: o.livenessKills,
    ...(o.lastWords ? { lastWords: { revision, byKey: o.lastWords } } : {}),
    now,
  });
  // Pods a quota or LimitRange refuses first: no pod exists to show anything else about them.
  const failures = [...detectReplicaFailures(o.replicaSets, memoryLimitInForce), ...withNodeLost(detection.failures, nodeLostFailures(o.pods, o.nodes ?? [], o.workload?.kind))];
  return { detection, failures };
}

function minAvailable(spec: ResolvedSpec, desired: number): number {
  const m = spec.disruption?.minAvailable;
  if (m === undefined) return 1;
  if (typeof m === 'number') return m;
  // The schema admits digits with or without %; "0" is 0, as the PDB reads it (src/desired/pdb.ts).
  const pct = /^(\d+)%$/.exec(m);
  return pct ? Math.ceil((Number(pct[1]) / 100) * desired) : Number(m);
}

function statusDependencies(o: Observed): StatusDependencies {
  const d = o.dependencies;
  if (d.cycle) return { state: 'Cycle', cycle: d.cycle };
  if (d.none) return { state: 'None' };
  if (d.waits.length) return { state: 'Waiting', waits: d.waits };
  return { state: 'Ready', names: (o.agent.spec.dependsOn ?? []).map((x) => x.agent ?? x.service ?? '') };
}

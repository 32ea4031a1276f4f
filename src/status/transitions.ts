import { canonicalJson } from '../lib/canonical-json.ts';
import type { AgentEvent, Reason } from '../api/reasons.ts';
import type { AgentStatus, Condition, ConditionType } from '../api/status.ts';
import { sortConditions } from './conditions.ts';

/**
 * Whether `next` differs from `prev` in anything but the order of conditions
 * (a list-map: the apiserver may hand it back in any order) and absent vs
 * undefined fields. Status is written only when this is true, so a converged
 * Agent causes no writes.
 */
export function statusChanged(prev: AgentStatus | undefined, next: AgentStatus): boolean {
  return canonical(prev ?? {}) !== canonical(next);
}

function canonical(status: AgentStatus): string {
  const copy: AgentStatus = { ...status };
  if (copy.conditions) copy.conditions = sortConditions(copy.conditions);
  return canonicalJson(copy);
}


/**
 * Which condition transitions are worth an Event, and which status is bad.
 * Each fact is announced once: a pod failure and every remediation step
 * already have their own event from the recovery policy, so Degraded going
 * True and Stalled going True for RecoveryExhausted are not repeated here; a
 * missed progress deadline is announced by Stalled, not again by Progressing.
 * Reconciling and ProbesConfigured are left out (the first flips with every
 * rollout, the second only with the spec).
 */
const watched: { type: ConditionType; bad: (c: Condition) => boolean; skip?: (c: Condition) => boolean }[] = [
  { type: 'Ready', bad: (c) => c.status === 'False' },
  { type: 'Available', bad: (c) => c.status === 'False' },
  { type: 'Degraded', bad: (c) => c.status === 'True', skip: (c) => c.status === 'True' },
  { type: 'Stalled', bad: (c) => c.status === 'True', skip: (c) => c.status === 'True' && c.reason === 'RecoveryExhausted' },
  { type: 'DependenciesReady', bad: (c) => c.status === 'False' },
  { type: 'Progressing', bad: () => false, skip: (c) => c.reason === 'ProgressDeadlineExceeded' },
  { type: 'MemoryNearLimit', bad: (c) => c.status === 'True' },
  { type: 'CPUThrottled', bad: (c) => c.status === 'True' },
];

/** Reasons a condition is bad for while an Agent is simply being created. */
const startingUp = new Set<string>(['RolloutInProgress', 'Unavailable', 'Reconciling']);
/** Not Ready because a rollout is under way: expected with every spec change, so Normal. */
const progressing = new Set<string>(['RolloutInProgress', 'Reconciling']);

/**
 * One Event per watched condition whose status changed: Warning when it went
 * bad (Normal when that is only a rollout under way), Normal when it
 * recovered, with the condition's reason and message. On the first status (no
 * previous condition) only a real problem and Ready=True are announced: a new
 * Agent that is still starting up is not news.
 */
export function transitionEvents(prev: AgentStatus | undefined, next: AgentStatus, said: Said = {}): AgentEvent[] {
  const events: (AgentEvent & { condition: ConditionType })[] = [];
  for (const { type, bad, skip } of watched) {
    const now = find(next.conditions, type);
    if (!now || skip?.(now)) continue;
    const before = find(prev?.conditions, type);
    if (before?.status === now.status) continue;
    const isBad = bad(now);
    if (!before && !(isBad ? !startingUp.has(now.reason) : type === 'Ready' && now.status === 'True')) continue;
    events.push({ type: isBad && !progressing.has(now.reason) ? 'Warning' : 'Normal', reason: now.reason as Reason, message: `${type} is ${now.status}: ${now.message}`, condition: type });
  }
  return withoutEchoes(events, firstStart(prev, next)).filter((e) => !alreadySaid(e, prev, next, said));
}

/** What the same reconcile announces beside the transitions. */
export interface Said {
  /** The events the reconcile records anyway: the recovery policy's failure and remedy events. */
  events?: readonly AgentEvent[];
  /** The rollout under way is the one a remedy started (remedyRolloutLeftMs, status/progress-writes.ts). */
  remedyRolling?: boolean;
}

/**
 * A transition that repeats what another event already says (issue 13: an
 * OOM kill cost five events, two of them repeats, each a write the next
 * Agent's detection waited behind at the apiserver):
 * - one with the reason of an event of the same reconcile: the policy's
 *   Warning OOMKilled names the pod, the container and the limit, and "Ready
 *   is False: ... OOMKilled" beside it says it again (the Ready condition
 *   keeps saying it);
 * - a Normal "rollout in progress" (Progressing going True, Ready going False
 *   for RolloutInProgress) while the rollout a remedy started runs: the
 *   remedy's own event (MemoryIncreased, RolledBack) said it rolls, and Ready
 *   going True says how it ended. Only at the spec's generation the remedy
 *   was taken for: a rollout of a spec change is still announced.
 */
function alreadySaid(e: AgentEvent, prev: AgentStatus | undefined, next: AgentStatus, said: Said): boolean {
  if (said.events?.some((s) => s.reason === e.reason)) return true;
  return e.type === 'Normal' && e.reason === 'RolloutInProgress' && said.remedyRolling === true
    && prev?.observedGeneration === next.observedGeneration;
}

/**
 * A new Agent's first Ready (it only ever started up before, and no revision
 * of it has been recorded healthy) is what creating it means, not news: the
 * Ready condition says when (lastTransitionTime) and with what ("1/1 replicas
 * ready at revision r"), and `kubectl describe` shows it. Leaving its event
 * out saves one write per Agent (issue 13: at most 4 writes per new Agent).
 * Ready after a problem, after a rollout of a changed spec, or after a
 * Warning the user saw is still announced.
 */
function firstStart(prev: AgentStatus | undefined, next: AgentStatus): boolean {
  const before = find(prev?.conditions, 'Ready');
  const now = find(next.conditions, 'Ready');
  return now?.status === 'True' && prev?.lastHealthyRevision === undefined && next.lastHealthyRevision === undefined
    && (before === undefined || (before.status === 'False' && startingUp.has(before.reason)));
}

/** Conditions whose Normal events only echo a Normal Ready event of the same write. */
const echoesOfReady = new Set<ConditionType>(['Available', 'Progressing']);

/**
 * What `kubectl describe` shows a user is one line per fact. When Ready
 * changes with a Normal event ("Ready is True: 1/1 replicas ready at revision
 * r", or a rollout under way), Available and Progressing going the same way
 * in the same write say nothing more, and cost a write each: a new Agent got
 * three events (Ready, Available, RolloutComplete) for one fact. Their
 * Warnings, and their Normal events when Ready does not change, stay.
 */
function withoutEchoes(events: (AgentEvent & { condition: ConditionType })[], firstStart: boolean): AgentEvent[] {
  const readyNormal = events.some((e) => e.condition === 'Ready' && e.type === 'Normal');
  return events
    .filter((e) => !(readyNormal && e.type === 'Normal' && echoesOfReady.has(e.condition)))
    .filter((e) => !(firstStart && e.type === 'Normal' && e.condition === 'Ready'))
    .map(({ type, reason, message }) => ({ type, reason, message }));
}

function find(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

import type { Reason } from '../api/reasons.ts';
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
  return JSON.stringify(sortKeys(copy));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

export interface TransitionEvent { type: 'Normal' | 'Warning'; reason: Reason; message: string }

/**
 * The conditions whose transitions are worth an Event, and which status is the
 * bad one. Reconciling is left out (it flips with every rollout, which
 * Progressing already reports), and so is ProbesConfigured (it only changes
 * with the spec).
 */
const watched: { type: ConditionType; bad: 'True' | 'False' }[] = [
  { type: 'Ready', bad: 'False' },
  { type: 'Available', bad: 'False' },
  { type: 'Degraded', bad: 'True' },
  { type: 'Stalled', bad: 'True' },
  { type: 'DependenciesReady', bad: 'False' },
  { type: 'Progressing', bad: 'False' },
];

/**
 * One Event per watched condition whose status changed: Warning when it went
 * bad (Normal when it is only a rollout under way), Normal when it recovered,
 * with the condition's reason and message. On
 * the first status (no previous condition) only a real problem and Ready=True
 * are announced: a new Agent that is still starting up is not news. A
 * Progressing that merely finished (RolloutComplete) is Normal.
 */
/** Reasons a condition is bad for while an Agent is simply being created. */
const startingUp = new Set<string>(['RolloutInProgress', 'Unavailable', 'Reconciling']);
/** Not Ready because a rollout is under way: expected with every spec change, so Normal. */
const progressing = new Set<string>(['RolloutInProgress', 'Reconciling']);

export function transitionEvents(prev: AgentStatus | undefined, next: AgentStatus): TransitionEvent[] {
  const events: TransitionEvent[] = [];
  for (const { type, bad } of watched) {
    const now = find(next.conditions, type);
    if (!now) continue;
    const before = find(prev?.conditions, type);
    if (before?.status === now.status) continue;
    const isBad = now.status === bad && !(type === 'Progressing' && now.reason !== 'ProgressDeadlineExceeded');
    if (!before && !(isBad ? !startingUp.has(now.reason) : type === 'Ready' && now.status === 'True')) continue;
    events.push({ type: isBad && !progressing.has(now.reason) ? 'Warning' : 'Normal', reason: now.reason as Reason, message: `${type} is ${now.status}: ${now.message}` });
  }
  return events;
}

function find(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

import { holdAnnotation, resumeAnnotation, rollbackAnnotation } from '../api/annotations.ts';
import type { RecoveryStatus } from '../api/status.ts';
import { toMs } from '../lib/time.ts';
import type { AgentEvent } from '../api/reasons.ts';
import type { Action } from './decision.ts';
import { act, set } from './record.ts';

// Requests a human makes through the Agent's annotations (hold, resume,
// rollback; src/api/annotations.ts), read and judged purely. They are
// one-shot by time: a request counts only if it is newer than the operator's
// last action (status.recovery.lastActionTime), so it is carried out once,
// survives an operator restart before it is, and never repeats after it is;
// a rollback also names the generation it was asked for, so a spec change
// retires it.

export interface ManualRequests {
  hold: boolean;
  resumeAt?: number;
  rollback?: { to: string; generation: number; at: number };
  /** A request that cannot be read: the annotation and the fix. */
  invalid?: string;
}

/** `key=value` words, as `kubectl agent` writes them and a human can type them. */
function fields(value: string): Map<string, string> {
  return new Map(value.trim().split(/\s+/).filter(Boolean).map((w) => {
    const i = w.indexOf('=');
    return i < 0 ? [w, ''] : [w.slice(0, i), w.slice(i + 1)];
  }));
}

export function readManualRequests(annotations: Readonly<Record<string, string>> | undefined): ManualRequests {
  const a = annotations ?? {};
  const out: ManualRequests = { hold: a[holdAnnotation] !== undefined };
  const resume = a[resumeAnnotation];
  if (resume !== undefined) {
    const at = toMs(fields(resume).get('at'));
    if (at === undefined) out.invalid = `annotation ${resumeAnnotation} is "${resume}": expected at=<RFC3339 time>, e.g. at=2026-01-02T03:04:05Z (kubectl agent resume writes it)`;
    else out.resumeAt = at;
  }
  const rollback = a[rollbackAnnotation];
  if (rollback !== undefined) {
    const f = fields(rollback);
    const to = f.get('to');
    const generation = Number(f.get('generation'));
    const at = toMs(f.get('at'));
    if (!to || !Number.isInteger(generation) || at === undefined) {
      out.invalid = `annotation ${rollbackAnnotation} is "${rollback}": expected to=<revision> generation=<metadata.generation> at=<RFC3339 time> (kubectl agent rollback writes it)`;
    } else out.rollback = { to, generation, at };
  }
  return out;
}

export interface ManualContext {
  generation: number;
  /** The revision the spec asks for. */
  revision: string;
  /** Revisions the workload still keeps (ReplicaSets, ControllerRevisions): what a rollback can run. */
  available: readonly string[];
  now: number;
}

/**
 * Carries out what the requests ask, on `rec` (the next status.recovery).
 * Returns the action when a request decides this reconcile: a rollback, or
 * None while held (no remediation); undefined lets the policy go on.
 */
export function applyManual(m: ManualRequests, rec: RecoveryStatus, ctx: ManualContext, events: AgentEvent[]): Action | undefined {
  // Both times are whole seconds: a request made within the second of the
  // last action (a user's second request right after the first was carried
  // out) counts as newer, or it would be ignored for ever. Carrying a request
  // out twice is harmless: a rollback already in force or a lifted hold is
  // not done again (below).
  const newer = (at: number) => at >= (toMs(rec.lastActionTime) ?? -Infinity);
  if (m.invalid) events.push({ type: 'Warning', reason: 'RequestRefused', message: m.invalid });
  const r = m.rollback;
  if (r && r.generation === ctx.generation && newer(r.at)) {
    const running = rec.rolledBackTo ?? ctx.revision;
    if (r.to === ctx.revision && rec.rolledBackTo !== undefined) {
      // back to what the spec asks for: the rollback in force ends
      for (const k of ['rolledBackFrom', 'rolledBackTo', 'restartAttempts', 'windowStart', 'nextRestartNotBefore'] as const) set(rec, k, undefined);
      act(rec, 'None', ctx.now);
      events.push({ type: 'Normal', reason: 'RecoveryCleared', message: `rollback ended on request (${rollbackAnnotation}): running revision ${ctx.revision} again, as the spec asks` });
      return { type: 'None' };
    }
    if (r.to !== running) {
      if (!ctx.available.includes(r.to)) {
        events.push({ type: 'Warning', reason: 'RequestRefused', message: `${rollbackAnnotation} asks for revision ${r.to}, which the Agent's workload does not keep (in a ReplicaSet or ControllerRevision); revisions available: ${ctx.available.join(', ') || 'none'} (kubectl agent history lists them)` });
      } else {
        rec.rolledBackFrom = ctx.revision;
        rec.rolledBackTo = r.to;
        for (const k of ['restartAttempts', 'windowStart', 'nextRestartNotBefore', 'healthySince'] as const) set(rec, k, undefined);
        act(rec, 'Rollback', ctx.now);
        events.push({ type: 'Warning', reason: 'RolledBack', message: `rolled back on request (${rollbackAnnotation}): running revision ${r.to} instead of ${running} until the spec changes` });
        return { type: 'Rollback', from: running, to: r.to };
      }
    }
  }
  if (m.resumeAt !== undefined && rec.lastAction === 'Hold' && newer(m.resumeAt)) {
    for (const k of ['lastAction', 'lastActionTime', 'restartAttempts', 'windowStart', 'nextRestartNotBefore'] as const) set(rec, k, undefined);
    events.push({ type: 'Normal', reason: 'RecoveryCleared', message: `hold lifted on request (${resumeAnnotation}): remediation resumes and restart attempts start over` });
  }
  if (m.hold) return { type: 'None' };
  return undefined;
}

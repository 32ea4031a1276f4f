import { parseQuantity } from '../lib/quantity.ts';
import type { AgentEvent, FailureReason, Reason } from '../api/reasons.ts';
import type { AgentStatus, LastFailure } from '../api/status.ts';
import { diagnose, type DiagnoseContext } from '../health/diagnose.ts';
import type { Failure } from '../health/failure.ts';
import type { Action } from '../recovery/decision.ts';
import { statusTime } from '../lib/time.ts';

/** Something the operator sees that keeps the Agent from its spec: reason and words. */
export interface Blocker { reason: Reason; message: string }

/** Operator-seen reasons as status.lastFailure records them (config and cycles are spec problems). */
const asFailure: Partial<Record<Reason, FailureReason>> = {
  InvalidSpec: 'InvalidSpec', InvalidConfig: 'InvalidSpec', DependencyCycle: 'InvalidSpec', PodSecurityViolation: 'InvalidSpec',
  SecretNotFound: 'SecretNotFound', ConfigMapNotFound: 'ConfigMapNotFound', DependencyNotReady: 'DependencyNotReady',
};

export interface LastFailureInput {
  now: Date;
  generation: number;
  previous: AgentStatus | undefined;
  decision: { action: Action; fresh: readonly Failure[] };
  /** Every failure seen now, counted before or not: a finer reading of the last one (refined). */
  failures?: readonly Failure[];
  ctx: DiagnoseContext;
  blocker?: Blocker | undefined;
}

/**
 * status.lastFailure: the newest failure counted in this reconcile, else the
 * onset of something the operator itself sees (a missing Secret, a
 * dependency), else what it was. `count` adds up failures of the same reason
 * within one spec generation; an ongoing operator-seen problem counts once,
 * at its onset (its message was in no condition before). A death counted
 * as a crash becomes the liveness kill it was once the kubelet's Killing
 * event is read (refined).
 */
export function nextLastFailure(input: LastFailureInput): LastFailure | undefined {
  const prev = input.previous?.lastFailure;
  const sameGeneration = input.previous?.observedGeneration === input.generation;
  const carried = (reason: FailureReason) => (sameGeneration && prev?.reason === reason ? prev.count : 0);
  const fresh = input.decision.fresh;
  const f = newest(fresh);
  if (f) {
    const lf: LastFailure = {
      reason: f.reason,
      message: diagnose(f, raisedContext(f, input.decision.action, input.ctx)),
      time: f.since ?? statusTime(input.now.getTime()),
      count: carried(f.reason) + fresh.filter((x) => x.reason === f.reason).length,
    };
    if (f.pod !== undefined) lf.pod = f.pod;
    if (f.container !== undefined) lf.container = f.container;
    if (f.exitCode !== undefined) lf.exitCode = f.exitCode;
    if (f.lastWords !== undefined) lf.lastWords = f.lastWords;
    return lf;
  }
  const b = input.blocker;
  const reason = b && asFailure[b.reason];
  if (b && reason && !input.previous?.conditions?.some((c) => c.message === b.message)) {
    return { reason, message: b.message, time: statusTime(input.now.getTime()), count: carried(reason) + 1 };
  }
  return prev && refined(prev, input);
}

/**
 * The kubelet writes a liveness kill's Event and the pod's status separately,
 * and under load the status can come first: the death is counted as a crash
 * (its key names the container instance, so it is never counted again). When
 * a later reconcile reads the Event, the same instance (pod, container, end
 * time, exit code) is renamed in place; the count stays, nothing is counted.
 */
function refined(prev: LastFailure, input: LastFailureInput): LastFailure {
  if (prev.reason !== 'CrashLoopBackOff') return prev;
  const f = input.failures?.find((x) => x.reason === 'LivenessProbeFailure' && x.pod === prev.pod && x.container === prev.container
    && x.since === prev.time && x.exitCode === prev.exitCode);
  return f ? { ...prev, reason: f.reason, message: diagnose(f, input.ctx) } : prev;
}

/**
 * The Warning event that corrects an earlier one: the death announced as a
 * crash (the recovery policy's CrashLoopBackOff event, already written) was a
 * liveness kill, which refined() has just found. Events cannot be edited, so
 * `kubectl describe` shows both, the later one naming the earlier.
 */
export function refinementEvent(prev: LastFailure | undefined, next: LastFailure | undefined): AgentEvent | undefined {
  if (prev?.reason !== 'CrashLoopBackOff' || next?.reason !== 'LivenessProbeFailure') return undefined;
  if (next.pod !== prev.pod || next.container !== prev.container || next.time !== prev.time || next.count !== prev.count) return undefined;
  return { type: 'Warning', reason: 'LivenessProbeFailure', message: `the death reported as CrashLoopBackOff (pod ${prev.pod ?? '?'}, ${prev.time}) was a liveness kill: ${next.message}` };
}

function newest(failures: readonly Failure[]): Failure | undefined {
  let best: Failure | undefined;
  for (const f of failures) if (!best || (f.since ?? '') > (best.since ?? '')) best = f;
  return best;
}

/** The OOM kill that made the policy raise the limit is described with the raise. */
function raisedContext(f: Failure, action: Action, ctx: DiagnoseContext): DiagnoseContext {
  if (action.type !== 'IncreaseMemory' || f.reason !== 'OOMKilled' || !ctx.memory) return ctx;
  if (f.memoryLimit !== undefined && parseQuantity(f.memoryLimit) !== parseQuantity(action.from)) return ctx;
  return { ...ctx, memory: { ...ctx.memory, raisedTo: action.to } };
}

import type { Agent } from '../api/agent.ts';
import type { StoredAgent } from '../api/stored-agent.ts';
import type { AgentStatus } from '../api/status.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { KubeIO } from '../kube/io.ts';
import { usageWarnings, type Metrics, type UsageWarning } from '../observability/metrics.ts';
import { KubeApiError } from '../runtime/api-error.ts';
import type { Logger } from '../runtime/logger.ts';
import { withBlocker } from '../status/blocked.ts';
import { statusChanged, transitionEvents } from '../status/transitions.ts';
import type { Plan } from './plan.ts';
import type { PodDelete } from './plan-deletes.ts';
import type { ReloadCalls } from './reload-calls.ts';
import { httpReload, type CallReload } from '../kube/reload-call.ts';

// Act: carry out a Plan, in this order:
//   1. the status, first when it records a failure seen for the first time
//      (plan's `fresh`): detection is the status, and the remedy's apply
//      (a raised memory limit, a rollback) must not delay it;
//   2. the owned objects, then (reload InPlace/HTTP, no apply refused) the
//      pods told the config their ConfigMap now holds;
//   3. otherwise the status, after the objects: a status that names a new
//      generation or revision is written only once the workload carries it,
//      so a reader (kstatus, Argo CD, Flux) never sees Current before the apply;
//   4. the pod delete, then the reload calls (HTTP) started, not awaited
//      (reload-calls.ts), each outcome recorded on its pod; 5. events,
//      handed to the recorder and not awaited.
// Every status write carries the resourceVersion of the Agent it was computed
// from, so a plan made from a stale Agent fails with 409 at its status write;
// written first, that fence stops the whole stale plan before any other write.
// Each write is one the plan found necessary; a converged Agent reaches none of them.

export interface ActDeps {
  io: KubeIO;
  events: Pick<EventRecorder, 'record'>;
  metrics: Pick<Metrics, 'failures' | 'remediations'> & Partial<Pick<Metrics, 'usageWarnings'>>;
  log: Logger;
  /** reload HTTP: the call to a pod's reload endpoint (default: straight to the pod IP, src/kube/reload-call.ts). */
  callReload?: CallReload;
  /** reload HTTP: the calls in flight, made beside the reconcile (reload-calls.ts). */
  reloads: ReloadCalls;
}

export interface ActResult {
  /** The apiserver refused an apply: the status says so, and the Agent is retried on a timer. */
  applyFailed: boolean;
  /** The Agent as the apiserver stored it after the last status write (own-status-writes.ts), with the version that write replaced. */
  written?: { replaced: string[]; stored: StoredAgent | undefined };
  /** The pod the apiserver accepted the delete of (own-pod-deletions.ts). */
  deleted?: PodDelete;
}

export async function act(agent: Agent, p: Plan, deps: ActDeps): Promise<ActResult> {
  const ns = agent.metadata.namespace ?? '';
  let written: ActResult['written'];
  const target = {
    apiVersion: agent.apiVersion, kind: agent.kind,
    metadata: { name: agent.metadata.name, namespace: ns, uid: agent.metadata.uid ?? '' },
  };
  const writeStatus = async (status: AgentStatus) => {
    const over = written ? written.stored?.metadata?.resourceVersion : agent.metadata.resourceVersion;
    const stored = await deps.io.patchAgentStatus(ns, agent.metadata.name, status, over).catch((err: unknown) => {
      // The apiserver fails every status write to an Agent stored with values
      // of the wrong type (HTTP 500: server-side apply cannot type the live
      // object), so its InvalidSpec events are all that can say why. (A 409
      // means the plan was made from a stale Agent: nothing of it is said.)
      const stale = err instanceof KubeApiError && err.status === 409;
      if (!stale) for (const e of p.events) if (e.reason === 'InvalidSpec') void deps.events.record(target, e.type, e.reason, e.message);
      throw err;
    }) as StoredAgent | undefined;
    // A write without a precondition proves nothing about what came before it.
    written = { replaced: over ? [...(written?.replaced ?? []), over] : [], stored };
  };
  const statusFirst = p.status !== undefined && p.fresh.length > 0;
  if (statusFirst) await writeStatus(p.status!);
  const refused: string[] = [];
  for (const obj of p.apply) {
    deps.log.debug({ object: `${obj.kind}/${obj.metadata.name}` }, 'applying');
    try {
      await deps.io.apply(obj);
    } catch (err) {
      // A refusal (admission, quota, schema, RBAC) is the user's to fix and
      // goes into status; the other objects are still applied. Anything
      // else (network, 5xx, 429) is the error policy's to retry.
      if (!isRefusal(err)) throw err;
      deps.log.warn({ object: `${obj.kind}/${obj.metadata.name}`, status: err.status, err: err.message }, 'the apiserver refused an apply');
      refused.push(refusalText(obj.kind, obj.metadata.name, err));
    }
  }
  for (const ref of p.remove) {
    deps.log.info({ object: `${ref.kind}/${ref.name}` }, 'removing an owned object the spec no longer asks for');
    await deps.io.remove(ref);
  }
  // Told only once the ConfigMap they mount holds the content (applied above, not refused).
  if (!refused.length) {
    for (const pod of p.tellPods ?? []) {
      const result = await deps.io.patchPodAnnotations(ns, pod.name, pod.uid, pod.annotations);
      deps.log.debug({ pod: pod.name, result }, 'told a pod its new config');
    }
  }
  // What the status is now: the one read, or the one written first.
  const current = statusFirst ? p.status : agent.status;
  let status = statusFirst ? undefined : p.status;
  let events = [...p.events];
  if (refused.length) {
    // Laid over the status as computed, against the status as it stands: the
    // same refusal again writes nothing and announces nothing.
    const blocked = withBlocker(p.computed, current, { reason: 'ApplyFailed', message: refused.join('; ') }, agent.metadata.generation ?? 0, p.now);
    status = statusChanged(current, blocked) ? blocked : undefined;
    // The plan announced the transitions of the status it computed; unless that one was written, the status written is this one.
    const planned = new Set(statusFirst ? [] : transitionEvents(agent.status, p.computed).map((e) => e.message));
    events = [...events.filter((e) => !planned.has(e.message)), ...transitionEvents(current, blocked)];
  }
  // Before the pod delete: a plan made from a stale cache fails here (409)
  // before it deletes anything, so a remediation step is never taken twice.
  if (status) await writeStatus(status);
  let deleted: PodDelete | undefined;
  if (p.deletePod) {
    const result = await deps.io.deletePod(ns, p.deletePod.name, p.deletePod.uid, p.deletePod.force);
    deps.log.info({ pod: p.deletePod.name, result, ...(p.deletePod.force ? { force: true } : {}) }, p.deletePod.force ? 'force-deleted a pod of a gone node' : 'restarted a failing pod');
    if (result === 'deleted') deleted = p.deletePod;
  }
  if (p.reloadCalls?.length) deps.reloads.start(ns, p.reloadCalls, p.now, { call: deps.callReload ?? defaultReload, io: deps.io, log: deps.log });
  if (p.action.type !== 'None') deps.metrics.remediations.inc({ action: p.action.type });
  for (const f of p.fresh) deps.metrics.failures.inc({ reason: f.reason });
  // A warning condition going True is announced by one Warning event (status/transitions.ts): count those.
  for (const e of events) if (e.type === 'Warning' && (usageWarnings as readonly string[]).includes(e.reason)) deps.metrics.usageWarnings?.inc({ reason: e.reason as UsageWarning });
  // Events are best effort and off the critical path: the recorder queues
  // them (bounded, see EventRecorder) and logs its own errors, so neither this
  // reconcile nor the next one of this Agent waits for an event write.
  for (const e of events) void deps.events.record(target, e.type, e.reason, e.message);
  return { applyFailed: refused.length > 0, ...(written ? { written } : {}), ...(deleted ? { deleted } : {}) };
}

/**
 * Refusals: the request reached the apiserver and was judged. 408 and 429 are
 * load, 409 cannot come from a forced apply, and 5xx (a webhook that cannot be
 * reached included) may pass by itself: those go to the error policy.
 */
function isRefusal(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.status >= 400 && err.status < 500 && ![408, 409, 429].includes(err.status);
}

const maxApiMessage = 1000;

function refusalText(kind: string, name: string, err: KubeApiError): string {
  const said = err.message.length > maxApiMessage ? `${err.message.slice(0, maxApiMessage - 1)}…` : err.message;
  const fix = err.status === 403 && /cannot (patch|create|update)/.test(err.message)
    ? "grant the operator's ServiceAccount that permission (the chart's RBAC)"
    : 'fix what the apiserver names (an admission policy or webhook, a ResourceQuota, or the spec field it rejects)';
  return `applying ${kind} ${name} was refused (HTTP ${err.status}${err.reason ? ` ${err.reason}` : ''}): ${said}: ${fix}`;
}

const defaultReload = httpReload();

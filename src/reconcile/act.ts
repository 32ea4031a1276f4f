import type { Agent } from '../api/agent.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { KubeIO } from '../kube/io.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Plan } from './plan.ts';

// Act: carry out a Plan. Objects first, then status, then the pod delete, then
// events. Each write is one the plan found necessary; a converged Agent
// reaches none of them.

export interface ActDeps {
  io: KubeIO;
  events: Pick<EventRecorder, 'record'>;
  metrics: Pick<Metrics, 'failures' | 'remediations'>;
  log: Logger;
}

export async function act(agent: Agent, p: Plan, deps: ActDeps): Promise<void> {
  const ns = agent.metadata.namespace ?? '';
  for (const obj of p.apply) {
    deps.log.debug({ object: `${obj.kind}/${obj.metadata.name}` }, 'applying');
    await deps.io.apply(obj);
  }
  for (const ref of p.remove) {
    deps.log.info({ object: `${ref.kind}/${ref.name}` }, 'removing an owned object the spec no longer asks for');
    await deps.io.remove(ref);
  }
  // Status before the pod delete, with the Agent's resourceVersion as a
  // precondition: a plan made from a stale cache fails here (409) before it
  // deletes anything, so a remediation step is never taken twice.
  if (p.status) await deps.io.patchAgentStatus(ns, agent.metadata.name, p.status, agent.metadata.resourceVersion);
  if (p.deletePod) {
    const result = await deps.io.deletePod(ns, p.deletePod.name, p.deletePod.uid);
    deps.log.info({ pod: p.deletePod.name, result }, 'restarted a failing pod');
  }
  if (p.action.type !== 'None') deps.metrics.remediations.inc({ action: p.action.type });
  for (const f of p.fresh) deps.metrics.failures.inc({ reason: f.reason });
  const target = {
    apiVersion: agent.apiVersion, kind: agent.kind,
    metadata: { name: agent.metadata.name, namespace: ns, uid: agent.metadata.uid ?? '' },
  };
  // Events are best effort (the recorder logs and swallows its own errors).
  await Promise.all(p.events.map((e) => deps.events.record(target, e.type, e.reason, e.message)));
}

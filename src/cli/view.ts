import type { CoreV1Event, V1ControllerRevision, V1Pod, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { holdAnnotation, revisionAnnotation } from '../api/annotations.ts';
import type { AgentStatus } from '../api/status.ts';
import type { Workload } from '../desired/workload.ts';
import { isoText } from '../lib/time.ts';
import { controllerRevisionTemplate } from '../reconcile/revisions.ts';

// What `kubectl agent` reads about one Agent (as `kubectl get -o json` gives
// it), and the facts every command derives from it. Pure: the formatters
// (status-tree.ts, why.ts, history.ts) and their golden tests start here.
// Kubernetes types only: the plugin carries no Kubernetes client of its own.

export interface AgentObject {
  metadata: { name: string; namespace?: string; generation?: number; annotations?: Record<string, string>; creationTimestamp?: string };
  spec: { image?: string; replicas?: number; mode?: string };
  status?: AgentStatus;
}

export interface Snapshot {
  agent: AgentObject;
  /** The Deployment, DaemonSet or StatefulSet, by spec.mode. */
  workload?: Workload | undefined;
  replicaSets: V1ReplicaSet[];
  /** A DaemonSet's or StatefulSet's revisions (a Deployment keeps its in ReplicaSets). */
  controllerRevisions?: V1ControllerRevision[] | undefined;
  pods: V1Pod[];
  /** Events about the Agent (the operator's) and its pods (the kubelet's). */
  events: CoreV1Event[];
}

/** The kind spec.mode runs the Agent's pods with. */
export function workloadKind(agent: AgentObject): string {
  return agent.spec.mode ?? 'Deployment';
}

/** A pod template the workload keeps, which a rollback can run: a ReplicaSet of a Deployment, a ControllerRevision of the others. */
export interface KeptRevision {
  /** The operator's revision its template carries ('?' without one). */
  revision: string;
  kind: 'ReplicaSet' | 'ControllerRevision';
  name: string;
  /** The controller's own revision number. */
  number: number;
  created: Date | string | undefined;
  template: V1PodTemplateSpec | undefined;
}

export function keptRevisions(s: Snapshot): KeptRevision[] {
  const kept = (kind: KeptRevision['kind'], name: string | undefined, number: number, created: Date | string | undefined, template: V1PodTemplateSpec | undefined): KeptRevision =>
    ({ revision: template?.metadata?.annotations?.[revisionAnnotation] ?? '?', kind, name: name ?? '', number, created, template });
  if (workloadKind(s.agent) !== 'Deployment') {
    return (s.controllerRevisions ?? []).map((cr) => kept('ControllerRevision', cr.metadata?.name, cr.revision, cr.metadata?.creationTimestamp, controllerRevisionTemplate(cr)));
  }
  return s.replicaSets.map((rs) => kept('ReplicaSet', rs.metadata?.name, Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0), rs.metadata?.creationTimestamp, rs.spec?.template));
}

export function revisionOf(o: { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } | undefined): string | undefined {
  return o?.spec?.template?.metadata?.annotations?.[revisionAnnotation];
}

export interface PodView {
  name: string;
  revision: string | undefined;
  state: string;
  ready: boolean;
  restarts: number;
  /** The failure a container shows now, in the kubelet's words. */
  failure?: string;
}

const failingWaits = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function podView(p: V1Pod): PodView {
  const cs = p.status?.containerStatuses ?? [];
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const ready = cs.length > 0 && cs.every((c) => c.ready);
  const waiting = cs.find((c) => c.state?.waiting)?.state?.waiting;
  const terminated = cs.find((c) => c.state?.terminated)?.state?.terminated;
  const state = p.metadata?.deletionTimestamp ? 'Terminating'
    : waiting ? `Waiting (${waiting.reason ?? 'unknown'})`
      : terminated ? `Terminated (${terminated.reason ?? 'exit'} ${terminated.exitCode ?? ''})`.replace(' )', ')')
        : p.status?.phase ?? 'Unknown';
  const view: PodView = { name: p.metadata?.name ?? '', revision: p.metadata?.annotations?.[revisionAnnotation], state, ready, restarts };
  const last = cs.find((c) => c.lastState?.terminated)?.lastState?.terminated;
  if (waiting?.reason && failingWaits.has(waiting.reason)) {
    view.failure = last?.reason ? `${waiting.reason}, last exit ${last.reason} (code ${last.exitCode})` : waiting.reason;
  } else if (p.status?.phase === 'Pending' && p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')) {
    view.failure = 'Unschedulable';
  } else if (last?.reason === 'OOMKilled') view.failure = 'OOMKilled (last exit)';
  return view;
}

/** The remediation in force, in words, or none. */
export function remediationInForce(agent: AgentObject): string[] {
  const r = agent.status?.recovery;
  const out: string[] = [];
  const hold = agent.metadata.annotations?.[holdAnnotation];
  if (hold !== undefined) out.push(`remediation paused by ${holdAnnotation}${hold ? ` (${hold})` : ''}`);
  if (r?.rolledBackTo) out.push(`rollback: running revision ${r.rolledBackTo} instead of ${r.rolledBackFrom ?? 'the spec\'s'} until the spec changes`);
  if (r?.memoryLimit) out.push(`memory limit raised to ${r.memoryLimit} (the spec is untouched)`);
  if (r?.lastAction === 'Hold') out.push('holding: automatic recovery is exhausted (kubectl agent resume lifts it)');
  return out;
}

export function condition(agent: AgentObject, type: string) {
  return agent.status?.conditions?.find((c) => c.type === type);
}

/** Events oldest first, by the time they last happened. */
export function eventTime(e: CoreV1Event): string {
  return isoText(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp);
}

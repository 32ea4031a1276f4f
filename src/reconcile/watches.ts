import { group, kind } from '../api/agent.ts';
import { readAgent, type StoredAgent } from '../api/stored-agent.ts';
import { agentLabel, agentNameAnnotation } from '../desired/labels.ts';
import { labelValue } from '../desired/names.ts';
import { referencedNames, references } from '../desired/references.ts';
import type { Controller } from '../runtime/controller.ts';
import type { InformerView } from '../runtime/informer.ts';
import { keyOf, objectKey, type KubeObject } from '../runtime/kube-object.ts';
import type { Mapper } from '../runtime/mappers.ts';
import type { Predicate } from '../runtime/predicates.ts';
import type { Caches, NamespacedCache } from './caches.ts';
import { agentLabelIndex, byAgentLabel, byServiceName, serviceNameIndex } from './gather.ts';

// What wakes an Agent up: its own spec, anything it owns, its pods,
// ReplicaSets and ControllerRevisions, its retained claim, the Secrets and
// ConfigMaps it references, and the dependencies it waits for.

const idx = {
  label: 'by-label-value',
  secrets: 'references-secret',
  configMaps: 'references-configmap',
  dependsOnAgent: 'depends-on-agent',
  dependsOnService: 'depends-on-service',
} as const;

export function addIndexes(c: Caches): void {
  const ns = (a: StoredAgent) => a.metadata.namespace ?? '';
  // What the schema accepts of each Agent (stored-agent.ts): an invalid one is still woken by what it reads.
  const spec = (a: StoredAgent) => readAgent(a).agent.spec;
  c.agents.addIndex(idx.label, (a) => [`${ns(a)}/${labelValue(a.metadata.name)}`]);
  c.agents.addIndex(idx.secrets, (a) => referencedNames(references(spec(a))).secrets.map((n) => `${ns(a)}/${n}`));
  c.agents.addIndex(idx.configMaps, (a) => referencedNames(references(spec(a))).configMaps.map((n) => `${ns(a)}/${n}`));
  c.agents.addIndex(idx.dependsOnAgent, (a) => (spec(a).dependsOn ?? []).flatMap((d) => d.agent ? [`${ns(a)}/${d.agent}`] : []));
  c.agents.addIndex(idx.dependsOnService, (a) => (spec(a).dependsOn ?? []).flatMap((d) => d.service ? [`${ns(a)}/${d.service}`] : []));
  c.pods.addIndex(byAgentLabel, agentLabelIndex);
  c.replicaSets.addIndex(byAgentLabel, agentLabelIndex);
  c.configMaps.addIndex(byAgentLabel, agentLabelIndex);
  c.controllerRevisions.addIndex(byAgentLabel, agentLabelIndex);
  c.endpointSlices.addIndex(byServiceName, serviceNameIndex);
}

/** Agents whose index holds `namespace/value`. */
function via(agents: NamespacedCache<StoredAgent & KubeObject>, index: string, value: (obj: KubeObject) => string | undefined): Mapper<KubeObject> {
  return (obj) => {
    const ns = obj.metadata?.namespace ?? '';
    const v = value(obj);
    return v === undefined ? [] : agents.byIndex(ns, index, `${ns}/${v}`).map(objectKey);
  };
}

/** Dependents care about a dependency's readiness, not its every status write. */
const readinessChanged: Predicate<StoredAgent & KubeObject> = {
  update: (o, n) => readyOf(o) !== readyOf(n),
};
function readyOf(a: StoredAgent): string | undefined {
  return readAgent(a).agent.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

interface ContainerStatusView {
  name: string;
  restartCount?: number;
  state?: { terminated?: { exitCode?: number }; waiting?: { reason?: string } };
  lastState?: { terminated?: { containerID?: string; finishedAt?: unknown } };
}
interface PodView extends KubeObject {
  status?: { phase?: string; containerStatuses?: ContainerStatusView[]; initContainerStatuses?: ContainerStatusView[] };
}

/**
 * A pod change that is a failure to detect: a container that ended (state
 * terminated), restarted (restartCount up, a new lastState.terminated) or a
 * pod that failed. Such a change is queued urgent (workqueue.ts), so the
 * Agent's lastFailure is not written behind other Agents' rollouts; pods
 * starting, turning ready or going away are not.
 */
export function podFailureSeen(old: KubeObject | undefined, obj: KubeObject): boolean {
  const before = (old as PodView | undefined)?.status;
  const after = (obj as PodView).status;
  if (after?.phase === 'Failed' && before?.phase !== 'Failed') return true;
  const died = (was: ContainerStatusView[] | undefined, now: ContainerStatusView[] | undefined): boolean => (now ?? []).some((c) => {
    const prev = (was ?? []).find((p) => p.name === c.name);
    if (c.state?.terminated && !prev?.state?.terminated) return true;
    if ((c.restartCount ?? 0) > (prev?.restartCount ?? 0)) return true;
    const last = c.lastState?.terminated;
    const prevLast = prev?.lastState?.terminated;
    return last !== undefined && (last.containerID !== prevLast?.containerID || last.finishedAt !== prevLast?.finishedAt);
  });
  return died(before?.containerStatuses, after?.containerStatuses) || died(before?.initContainerStatuses, after?.initContainerStatuses);
}

/** What the kubelet waits in while a container cannot run; not the waits of a start (ContainerCreating, PodInitializing). */
const startWaits = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * A pod failing as it is first listed (the operator just started): failed,
 * a container ended, or a container waiting for any reason but its start
 * (CrashLoopBackOff, an image pull, its config). Its Agent is reconciled
 * ahead of the rest of the first list (controller.ts failingAtStart): after
 * a restart under a crash loop, the failing Agent does not wait behind
 * every settled one. A pod that once restarted and runs now is not failing.
 */
export function podFailingNow(obj: KubeObject): boolean {
  const status = (obj as PodView).status;
  if (status?.phase === 'Failed') return true;
  const waits = (c: ContainerStatusView) => c.state?.waiting !== undefined && !startWaits.has(c.state.waiting.reason ?? '');
  // An init container that ended with 0 has done its job.
  return (status?.containerStatuses ?? []).some((c) => c.state?.terminated !== undefined || waits(c))
    || (status?.initContainerStatuses ?? []).some((c) => (c.state?.terminated !== undefined && c.state.terminated.exitCode !== 0) || waits(c));
}

/** The controller only reads metadata through mappers, so every informer is watched as KubeObject. */
function informersOf(...caches: { informers: readonly InformerView<KubeObject>[] }[]): InformerView<KubeObject>[] {
  return caches.flatMap((c) => c.informers);
}

export function wireWatches(ctl: Controller, c: Caches): void {
  const owner = { group, kind };
  for (const i of c.agents.informers) {
    ctl.forPrimary(i);
    ctl.watch(i, via(c.agents, idx.dependsOnAgent, (o) => o.metadata?.name), { predicate: readinessChanged });
  }
  for (const i of informersOf(c.deployments, c.daemonSets, c.statefulSets, c.services, c.configMaps, c.pdbs)) ctl.owns(i, owner);
  // A retained PVC has no owner reference; it names its Agent in an annotation.
  for (const i of informersOf(c.pvcs)) {
    ctl.watch(i, (o) => {
      const name = o.metadata?.annotations?.[agentNameAnnotation];
      return name ? [keyOf(o.metadata?.namespace, name)] : [];
    });
  }
  const byLabel = via(c.agents, idx.label, (o) => o.metadata?.labels?.[agentLabel]);
  for (const i of informersOf(c.pods)) ctl.watch(i, byLabel, { urgent: podFailureSeen, failingAtStart: podFailingNow });
  for (const i of informersOf(c.replicaSets, c.controllerRevisions)) ctl.watch(i, byLabel);
  for (const i of informersOf(c.secretMeta)) ctl.watch(i, via(c.agents, idx.secrets, (o) => o.metadata?.name));
  for (const i of informersOf(c.configMapMeta)) ctl.watch(i, via(c.agents, idx.configMaps, (o) => o.metadata?.name));
  for (const i of informersOf(c.endpointSlices)) {
    ctl.watch(i, via(c.agents, idx.dependsOnService, (o) => o.metadata?.labels?.['kubernetes.io/service-name']));
  }
}

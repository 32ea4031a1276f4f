import type {
  V1ConfigMap, V1ControllerRevision, V1Node, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1ReplicaSet, V1Service,
} from '@kubernetes/client-node';
import type { Agent } from '../api/agent.ts';
import { readAgent } from '../api/stored-agent.ts';
import { agentLabel, agentNameAnnotation } from '../desired/labels.ts';
import { labelValue, pdbName, pvcName, serviceName, workloadName } from '../desired/names.ts';
import type { Workload } from '../desired/workload.ts';
import { references } from '../desired/references.ts';
import type { ReferencedDigests } from '../kube/secrets.ts';
import type { LivenessKill } from '../health/detect.ts';
import { podsToCheckForLivenessKills } from '../health/liveness.ts';
import { tailOf, terminationMessages } from '../health/last-words.ts';
import { resolveSpec } from '../desired/defaults.ts';
import type { Caches } from './caches.ts';
import { evaluateDependencies, type DependencyState } from './dependencies.ts';
import type { ContainerUsage } from '../usage/assess.ts';
import { nodesToRead, nodeView, type NodeView } from '../health/node-lost.ts';

// Gather: everything one reconcile decides from, read once up front. Cached
// objects come from the informers; the content of referenced Secrets and
// ConfigMaps comes from targeted reads as digests (never values).

export interface Observed {
  agent: Agent;
  /** The workload, of the kind spec.mode asks for (see DesiredObjects.workload). */
  workload?: Workload;
  /** ReplicaSets of the Agent's Deployment: rollback targets. */
  replicaSets: V1ReplicaSet[];
  /** ControllerRevisions of the Agent's DaemonSet or StatefulSet: rollback targets (revisions.ts reads both kinds). */
  controllerRevisions?: V1ControllerRevision[];
  pods: readonly V1Pod[];
  service?: V1Service;
  /**
   * The Agent's own rendered-config ConfigMaps (one per distinct config, named
   * by content; plan picks the one it wants by name and collects the rest).
   * A ConfigMap under a wanted name that is not the Agent's is found before
   * its create (probeCreates) and becomes a NameConflict.
   */
  configMaps?: V1ConfigMap[];
  pvc?: V1PersistentVolumeClaim;
  pdb?: V1PodDisruptionBudget;
  references: ReferencedDigests;
  dependencies: DependencyState;
  /** Objects under a name the Agent needs that are not its own: never written, reported as NameConflict. */
  conflicts?: NameConflict[];
  /**
   * Dead containers' last words (health/last-words.ts terminationKey -> the
   * bounded tail of the termination message), scrubbed of every referenced
   * Secret value. None when a referenced Secret could not be read.
   */
  lastWords?: Record<string, string>;
  /** The readings of the pods' containers from the node metrics (src/usage), when the operator reads them. */
  usage?: ContainerUsage[];
  /** The nodes of pods that are not Ready (health/node-lost.ts): lost ones become NodeLost. Read only when such a pod exists. */
  nodes?: NodeView[];
  /** The kubelet's liveness kills of the Agent's containers, from the pods' recent events (read only when a container restarted). */
  livenessKills?: LivenessKill[];
  now: Date;
}

export interface NameConflict { kind: string; name: string; message: string }

export type ReadDigests = (namespace: string, refs: ReturnType<typeof references>, toScrub?: Readonly<Record<string, string>>) => Promise<ReferencedDigests>;
export type ReadUsage = (pods: readonly V1Pod[]) => ContainerUsage[];
export type ReadLivenessKills = (namespace: string, pod: { uid: string }) => Promise<LivenessKill[]>;
export type ReadNode = (name: string) => Promise<V1Node | null>;

/** Index on pods and ReplicaSets: the Agent label value (a label-safe form of the Agent name). */
export const byAgentLabel = 'agent-label';
export const agentLabelIndex = (obj: { metadata?: { labels?: Record<string, string> } }): string[] => {
  const v = obj.metadata?.labels?.[agentLabel];
  return v === undefined ? [] : [v];
};

export async function gather(caches: Caches, readDigests: ReadDigests, agent: Agent, now: Date, readKills?: ReadLivenessKills, readUsage?: ReadUsage, readNode?: ReadNode): Promise<Observed> {
  const ns = agent.metadata.namespace ?? '';
  const name = agent.metadata.name;
  const conflicts: NameConflict[] = [];
  // The caches hold objects with the operator's managed-by label; one of them
  // under this Agent's name but not this Agent's (a copy, another tool's) is a conflict too.
  const mine = <T extends Parameters<typeof isMine>[1]>(kind: string, obj: T | undefined): T | undefined => {
    if (obj === undefined) return undefined;
    if (isMine(agent, obj, kind)) return obj;
    conflicts.push(nameConflict(agent, kind, obj.metadata?.name ?? ''));
    return undefined;
  };

  const mode = resolveSpec(agent.spec).mode;
  const workloads = { Deployment: caches.deployments, DaemonSet: caches.daemonSets, StatefulSet: caches.statefulSets } as const;
  const workload: Workload | undefined = mine(mode, (workloads[mode] as { get(ns: string, name: string): Workload | undefined }).get(ns, workloadName(name)));
  const label = labelValue(name);
  const ownedByWorkload = (o: { metadata?: { namespace?: string; ownerReferences?: { uid: string }[] } }) => o.metadata?.namespace === ns && workload !== undefined
    && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === workload.metadata?.uid);
  const replicaSets = mode === 'Deployment' ? caches.replicaSets.byIndex(ns, byAgentLabel, label).filter(ownedByWorkload) : [];
  const controllerRevisions = mode === 'Deployment' ? [] : caches.controllerRevisions.byIndex(ns, byAgentLabel, label).filter(ownedByWorkload);
  const pods = caches.pods.byIndex(ns, byAgentLabel, label).filter((p) => p.metadata?.namespace === ns);
  // A retained PVC carries no owner reference (so it outlives the Agent); it is ours by its label and agent-name annotation.
  const pvc = mine('PersistentVolumeClaim', caches.pvcs.get(ns, pvcName(name)));

  // Termination messages go through the Secret scrub before anything else
  // sees them, and are cut to their tail only after it (a cut first could
  // leave part of a value that no exact match finds).
  const messages = terminationMessages(pods);
  const { scrubbed, ...digests } = await readDigests(ns, references(agent.spec), messages);
  const out: Observed = {
    agent,
    replicaSets,
    ...(controllerRevisions.length ? { controllerRevisions } : {}),
    pods,
    references: digests,
    dependencies: evaluateDependencies(agent, {
      agent: (n) => { const a = caches.agents.get(ns, n); return a && readAgent(a).agent; },
      endpointSlices: (svc) => caches.endpointSlices.byIndex(ns, byServiceName, `${ns}/${svc}`),
    }),
    now,
  };
  // Only with a liveness probe, and only for pods with a recent death: most reconciles read no event.
  if (readKills && resolveSpec(agent.spec).health.liveness) {
    const ask = podsToCheckForLivenessKills(pods, now.getTime());
    // A failed read (an older chart without the events list verb) loses only
    // the finer diagnosis: the death is still a failure, of class CrashLoopBackOff.
    if (ask.length) out.livenessKills = (await Promise.all(ask.map((p) => readKills(ns, p).catch(() => [])))).flat();
  }
  // A failed read (a chart with failover.readNodes false: 403) loses only the NodeLost report.
  const toRead = readNode ? nodesToRead(pods) : [];
  if (toRead.length) {
    const read = await Promise.all(toRead.map((n) => readNode!(n).then((node) => nodeView(n, node), () => undefined)));
    const nodes = read.filter((v): v is NodeView => v !== undefined);
    if (nodes.length) out.nodes = nodes;
  }
  if (scrubbed) {
    const words = Object.entries(scrubbed).flatMap(([k, text]) => { const t = tailOf(text); return t === undefined ? [] : [[k, t] as const]; });
    if (words.length) out.lastWords = Object.fromEntries(words);
  }
  // In memory (the scraper's readings): no request.
  if (readUsage) out.usage = readUsage(pods);
  if (workload) out.workload = workload;
  const service = mine('Service', caches.services.get(ns, serviceName(name)));
  if (service) out.service = service;
  const configMaps = caches.configMaps.byIndex(ns, byAgentLabel, label)
    .filter((cm) => cm.metadata?.namespace === ns && isMine(agent, cm, 'ConfigMap'));
  if (configMaps.length) out.configMaps = configMaps;
  if (pvc) out.pvc = pvc;
  const pdb = mine('PodDisruptionBudget', caches.pdbs.get(ns, pdbName(name)));
  if (pdb) out.pdb = pdb;
  if (conflicts.length) out.conflicts = conflicts;
  return out;
}

export type ReadObject = (ref: { apiVersion: string; kind: string; namespace: string; name: string }) => Promise<unknown>;

/**
 * The caches see only objects with the managed-by label, so before the
 * operator creates an object it reads the name: whatever is there already and
 * is not this Agent's (a Service `payments` someone made by hand) must not be
 * overwritten. One GET per object about to be created, none once converged.
 * Found and ours (the cache is behind our own create): observed as live.
 */
export async function probeCreates(o: Observed, creates: readonly { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }[], read: ReadObject): Promise<Observed> {
  const out: Observed = { ...o, conflicts: [...(o.conflicts ?? [])] };
  const found = await Promise.all(creates.map((c) => read({ apiVersion: c.apiVersion, kind: c.kind, namespace: c.metadata.namespace, name: c.metadata.name })));
  for (const [i, c] of creates.entries()) {
    const live = found[i] as Parameters<typeof isMine>[1] | undefined;
    if (live === undefined) continue;
    if (!isMine(o.agent, live, c.kind)) {
      out.conflicts!.push(nameConflict(o.agent, c.kind, c.metadata.name));
      continue;
    }
    if (c.kind === 'ConfigMap') {
      out.configMaps = [...(out.configMaps ?? []).filter((cm) => cm.metadata?.name !== c.metadata.name), live as V1ConfigMap];
      continue;
    }
    const slots = { Deployment: 'workload', DaemonSet: 'workload', StatefulSet: 'workload', Service: 'service', PersistentVolumeClaim: 'pvc', PodDisruptionBudget: 'pdb' } as const satisfies Record<string, keyof Observed>;
    const key: keyof Observed | undefined = slots[c.kind as keyof typeof slots];
    if (key) Object.assign(out, { [key]: live });
  }
  if (!out.conflicts!.length) delete out.conflicts;
  return out;
}

/**
 * This Agent's: a controller ownerReference with its uid; a PVC (retained
 * without an owner) by the Agent's label and its full name in the
 * agent-name annotation, both.
 */
function isMine(agent: Agent, obj: { metadata?: { name?: string; ownerReferences?: { uid: string; controller?: boolean }[]; labels?: Record<string, string>; annotations?: Record<string, string> } }, kind: string): boolean {
  const refs = obj.metadata?.ownerReferences ?? [];
  if (refs.some((r) => r.uid === agent.metadata.uid && r.controller === true)) return true;
  return kind === 'PersistentVolumeClaim'
    && obj.metadata?.labels?.[agentLabel] === labelValue(agent.metadata.name)
    && obj.metadata?.annotations?.[agentNameAnnotation] === agent.metadata.name;
}

function nameConflict(agent: Agent, kind: string, name: string): NameConflict {
  const a = agent.metadata.name;
  const handOver = kind === 'PersistentVolumeClaim'
    ? `; to hand it to this Agent, label it ${agentLabel}=${labelValue(a)} and annotate it ${agentNameAnnotation}=${a}`
    : '';
  return {
    kind, name,
    message: `${kind} ${name} already exists and is not this Agent's (${kind === 'PersistentVolumeClaim' ? `no ${agentLabel} label and ${agentNameAnnotation} annotation for ${a}` : `no controller ownerReference to Agent ${a}`}), so the operator leaves it untouched: delete or rename that ${kind}, or give the Agent another name${handOver}`,
  };
}

/** Index on EndpointSlices: `namespace/service`. */
export const byServiceName = 'service-name';
export const serviceNameIndex = (obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }): string[] => {
  const svc = obj.metadata?.labels?.['kubernetes.io/service-name'];
  return svc === undefined ? [] : [`${obj.metadata?.namespace ?? ''}/${svc}`];
};

import type {
  V1ConfigMap, V1Deployment, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1ReplicaSet, V1Service,
} from '@kubernetes/client-node';
import type { Agent } from '../api/agent.ts';
import { agentLabel } from '../desired/labels.ts';
import { configMapName, deploymentName, labelValue, pdbName, pvcName, serviceName } from '../desired/names.ts';
import { references } from '../desired/references.ts';
import type { ReferencedDigests } from '../kube/secrets.ts';
import type { LivenessKill } from '../health/detect.ts';
import { podsToCheckForLivenessKills } from '../health/liveness.ts';
import { resolveSpec } from '../desired/defaults.ts';
import type { Caches } from './caches.ts';
import { evaluateDependencies, type DependencyState } from './dependencies.ts';

// Gather: everything one reconcile decides from, read once up front. Cached
// objects come from the informers; the content of referenced Secrets and
// ConfigMaps comes from targeted reads as digests (never values).

export interface Observed {
  agent: Agent;
  deployment?: V1Deployment;
  /** ReplicaSets of the Agent's Deployment: rollback targets. */
  replicaSets: V1ReplicaSet[];
  pods: V1Pod[];
  service?: V1Service;
  configMap?: V1ConfigMap;
  pvc?: V1PersistentVolumeClaim;
  pdb?: V1PodDisruptionBudget;
  references: ReferencedDigests;
  dependencies: DependencyState;
  /** The kubelet's liveness kills of the Agent's containers, from the pods' recent events (read only when a container restarted). */
  livenessKills?: LivenessKill[];
  now: Date;
}

export type ReadDigests = (namespace: string, refs: ReturnType<typeof references>) => Promise<ReferencedDigests>;
export type ReadLivenessKills = (namespace: string, pod: { uid: string }) => Promise<LivenessKill[]>;

/** Index on pods and ReplicaSets: the Agent label value (a label-safe form of the Agent name). */
export const byAgentLabel = 'agent-label';
export const agentLabelIndex = (obj: { metadata?: { labels?: Record<string, string> } }): string[] => {
  const v = obj.metadata?.labels?.[agentLabel];
  return v === undefined ? [] : [v];
};

export async function gather(caches: Caches, readDigests: ReadDigests, agent: Agent, now: Date, readKills?: ReadLivenessKills): Promise<Observed> {
  const ns = agent.metadata.namespace ?? '';
  const name = agent.metadata.name;
  const uid = agent.metadata.uid;
  const owned = <T extends { metadata?: { ownerReferences?: { uid: string }[] } }>(obj: T | undefined): T | undefined =>
    obj && (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === uid) ? obj : undefined;

  const deployment = owned(caches.deployments.get(ns, deploymentName(name)));
  const label = labelValue(name);
  const replicaSets = caches.replicaSets.byIndex(ns, byAgentLabel, label)
    .filter((rs) => rs.metadata?.namespace === ns && deployment !== undefined
      && (rs.metadata?.ownerReferences ?? []).some((r) => r.uid === deployment.metadata?.uid));
  const pods = caches.pods.byIndex(ns, byAgentLabel, label).filter((p) => p.metadata?.namespace === ns);
  // A retained PVC carries no owner reference (so it outlives the Agent); it is ours by name and label.
  const pvc = caches.pvcs.get(ns, pvcName(name));

  const out: Observed = {
    agent,
    replicaSets,
    pods,
    references: await readDigests(ns, references(agent.spec)),
    dependencies: evaluateDependencies(agent, {
      agent: (n) => caches.agents.get(ns, n),
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
  if (deployment) out.deployment = deployment;
  const service = owned(caches.services.get(ns, serviceName(name)));
  if (service) out.service = service;
  const configMap = owned(caches.configMaps.get(ns, configMapName(name)));
  if (configMap) out.configMap = configMap;
  if (pvc?.metadata?.labels?.[agentLabel] === label) out.pvc = pvc;
  const pdb = owned(caches.pdbs.get(ns, pdbName(name)));
  if (pdb) out.pdb = pdb;
  return out;
}

/** Index on EndpointSlices: `namespace/service`. */
export const byServiceName = 'service-name';
export const serviceNameIndex = (obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }): string[] => {
  const svc = obj.metadata?.labels?.['kubernetes.io/service-name'];
  return svc === undefined ? [] : [`${obj.metadata?.namespace ?? ''}/${svc}`];
};

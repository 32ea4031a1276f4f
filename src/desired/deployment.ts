import type { V1Deployment, V1DeploymentStrategy, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { AccessMode, ResolvedSpec } from './defaults.ts';
import { selectorLabels } from './labels.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { workloadName } from './names.ts';
import { containerName, withMemoryOverride } from './pod-spec.ts';

/** Argo Rollouts' and Flagger's deadline: after 10 min without progress the rollout counts as failed. */
export const progressDeadlineSeconds = 600;
/**
 * A new pod counts as available only after it has been Ready this long. A
 * crash-looping container can pass its probes for a moment between crashes;
 * without this the Deployment counts that moment as available, completes the
 * rollout and deletes the healthy old pods (zero ready pods on a real node).
 * Short, because every rollout waits it once per surge step.
 *
 * Not (`readyAtOnce`) while a memory override is in force and no healthy pod
 * of another revision serves: the operator raised the limit because the pods
 * were being OOM-killed, so the pods its rollout replaces are failing and
 * there is nothing for the wait to protect; it would only keep the agent down
 * 5 s longer (on the real node it was a third of the time to recover from an
 * OOM kill). When a healthy older revision still serves (a release with too
 * little memory), the raised pods wait as usual: one still too small is Ready
 * for a moment between kills, and without the wait the Deployment took the
 * healthy pod down for about 10 s (make chaos, real node). The override ends
 * with a new spec, whose rollout waits again.
 */
export const minReadySeconds = 5;
/** Rollback takes its pod template from an older ReplicaSet, so the old ReplicaSets must be kept. */
export const revisionHistoryLimit = 10;
/** Set by the Deployment controller on every ReplicaSet's template; never ours to send. */
export const podTemplateHashLabel = 'pod-template-hash';

/** What the reconciler decided about the workload (index.ts), for every kind: each builder reads what applies to it. */
export interface WorkloadOptions { holdForDependencies?: boolean; readyAtOnce?: boolean; memoryRaised?: boolean }

/** Access modes under which pods on several nodes can mount the volume at once. */
const multiNodeModes: readonly AccessMode[] = ['ReadWriteMany', 'ReadOnlyMany'];

/**
 * Recreate when the state volume can be mounted by one node only: a rolling
 * update would start the new pod before stopping the old one, and the new pod
 * would wait for the volume forever (a deadlock, not a slow rollout).
 *
 * Otherwise RollingUpdate with maxUnavailable 0 and maxSurge 25%: an agent
 * that forwards logs or collects metrics should not have a gap, so the old
 * pods keep running until new ones are Ready; and a new revision that never
 * becomes Ready (bad image, crash) leaves the old pods serving while the
 * operator reports and remediates. 25% rounds up, so one replica surges by
 * one pod and large fleets do not roll one pod at a time.
 */
export function strategy(spec: ResolvedSpec, opts: Pick<WorkloadOptions, 'memoryRaised'> = {}): V1DeploymentStrategy {
  const singleNode = spec.storage !== undefined && !spec.storage.accessModes.some((m) => multiNodeModes.includes(m));
  if (singleNode) return { type: 'Recreate' };
  return { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: opts.memoryRaised ? raisedSurge(spec.replicas) : '25%' } };
}

/**
 * While a memory raise is in force, one pod more than the 25 % (as the
 * controller rounds it, up): a release with too little memory has its
 * OOM-killed pods in the surge beside the old pods still serving, and at the
 * usual surge the Deployment controller must scale those down in one sync
 * before it may start a raised pod in the next (one replica: old + killed =
 * the 2 pods allowed). With the extra pod it does both in one sync: on the
 * real node (make chaos, OOM class alone) the raised pod was created a
 * median 1.3 s (max 2.4 s) after the raise, now 0.2 s (max 0.7 s). The pods
 * the raise replaces are failing, so the extra pod never stands beside more
 * healthy ones than a usual rollout's.
 */
function raisedSurge(replicas: number): number {
  return Math.ceil(replicas / 4) + 1;
}

/**
 * The Deployment. `holdForDependencies` scales it to 0 (the object exists and
 * carries the current template, but no pod starts before its dependencies are
 * Ready); the selector depends only on the Agent's name, since it is immutable.
 */
export function deployment(owner: Owner, spec: ResolvedSpec, template: V1PodTemplateSpec, opts: WorkloadOptions = {}): Owned<V1Deployment> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(owner, workloadName(owner.name)),
    spec: {
      replicas: opts.holdForDependencies ? 0 : spec.replicas,
      selector: { matchLabels: selectorLabels(owner.name) },
      strategy: strategy(spec, opts),
      minReadySeconds: opts.readyAtOnce ? 0 : minReadySeconds,
      progressDeadlineSeconds,
      revisionHistoryLimit,
      template,
    },
  };
}

/**
 * A pod template taken from an older ReplicaSet, for Rollback: a copy without
 * the pod-template-hash label (the Deployment controller adds its own), with
 * the selector labels forced on so the Deployment still selects it. Its
 * revision annotation is kept: it names the revision that runs.
 */
export function rollbackTemplate(owner: Owner, override: V1PodTemplateSpec, memoryLimitOverride?: string): V1PodTemplateSpec {
  const template = structuredClone(override);
  // A memory override in force applies to what runs, rolled back or not: the
  // Degraded message and the OOM policy both speak of the limit in force.
  const agent = template.spec?.containers.find((c) => c.name === containerName);
  if (agent && memoryLimitOverride !== undefined) {
    agent.resources = { ...agent.resources, ...withMemoryOverride(agent.resources ?? {}, memoryLimitOverride) };
  }
  const labels: Record<string, string> = { ...template.metadata?.labels };
  delete labels[podTemplateHashLabel];
  template.metadata = { ...template.metadata, labels: { ...labels, ...selectorLabels(owner.name) } };
  return template;
}

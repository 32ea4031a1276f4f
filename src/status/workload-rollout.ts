import type { V1DaemonSet, V1StatefulSet } from '@kubernetes/client-node';
import { revisionAnnotation } from '../api/annotations.ts';
import type { Workload } from '../desired/workload.ts';
import type { Rollout } from './rollout-summary.ts';

// The Rollout summary of a DaemonSet and a StatefulSet, in the Deployment's
// terms, so the status, the Ready rule and the recovery policy read one shape
// in every mode. Neither kind has a progress deadline: a broken revision is
// found by its pods' failures (revisionFailing), never by a clock.

/**
 * How many pods the Agent should have: spec.replicas, except in DaemonSet
 * mode where the DaemonSet controller decides (one per node it schedules on).
 */
export function desiredPods(specReplicas: number, w: Workload | undefined): number {
  if (w?.kind !== 'DaemonSet') return specReplicas;
  return (w as V1DaemonSet).status?.desiredNumberScheduled ?? 0;
}

export function observedOf(w: Workload): boolean {
  return (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
}

/** The revision and the agent container's image of the workload's template, where it has them. */
export function templateFacts(w: Workload, containerName: string): Pick<Rollout, 'revision' | 'image'> {
  const out: Pick<Rollout, 'revision' | 'image'> = {};
  const template = w.spec?.template;
  const revision = template?.metadata?.annotations?.[revisionAnnotation];
  if (revision !== undefined) out.revision = revision;
  const containers = template?.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === containerName) ?? containers[0])?.image;
  if (image !== undefined) out.image = image;
  return out;
}

/**
 * kubectl rollout status's rule for a DaemonSet: every scheduled node runs
 * the updated pod and it is available. The rollout is in progress until the
 * new revision has reached every node; a pod failing after that is a failure,
 * not progress.
 */
export function readDaemonSetRollout(ds: V1DaemonSet, containerName: string): Rollout {
  const s = ds.status;
  const desired = s?.desiredNumberScheduled ?? 0;
  const updatedReplicas = s?.updatedNumberScheduled ?? 0;
  const availableReplicas = s?.numberAvailable ?? 0;
  const observed = observedOf(ds);
  const complete = observed && updatedReplicas >= desired && availableReplicas >= desired;
  return {
    exists: true, kind: 'DaemonSet', observed, complete, deadlineExceeded: false,
    inProgress: !observed || updatedReplicas < desired,
    replicas: s?.currentNumberScheduled ?? 0,
    readyReplicas: s?.numberReady ?? 0,
    updatedReplicas, availableReplicas,
    misscheduledReplicas: s?.numberMisscheduled ?? 0,
    ...templateFacts(ds, containerName),
  };
}

/**
 * A StatefulSet has rolled out when every desired replica is updated and
 * available and no extra one is left (the controller also moves
 * currentRevision to updateRevision then).
 */
export function readStatefulSetRollout(sts: V1StatefulSet, desired: number, containerName: string): Rollout {
  const s = sts.status;
  const replicas = s?.replicas ?? 0;
  const updatedReplicas = s?.updatedReplicas ?? 0;
  const availableReplicas = s?.availableReplicas ?? 0;
  const observed = observedOf(sts);
  const revisionsMet = s?.currentRevision === undefined || s.updateRevision === undefined || s.currentRevision === s.updateRevision;
  const complete = observed && updatedReplicas >= desired && availableReplicas >= desired && replicas <= desired && revisionsMet;
  return {
    exists: true, kind: 'StatefulSet', observed, complete, deadlineExceeded: false,
    inProgress: !observed || updatedReplicas < desired || replicas > desired,
    replicas, readyReplicas: s?.readyReplicas ?? 0, updatedReplicas, availableReplicas,
    ...templateFacts(sts, containerName),
  };
}

import type { V1ControllerRevision, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { Workload } from '../desired/workload.ts';

/**
 * An earlier (or the current) pod template of the Agent's workload, whatever
 * kind keeps it: a Deployment keeps them in ReplicaSets, a DaemonSet and a
 * StatefulSet in ControllerRevisions. Rollback and the held rollout read
 * only this, so they are the same in every mode.
 */
export interface PastRevision {
  template: V1PodTemplateSpec;
  /** creationTimestamp in ms. */
  created: number;
  /** The owning controller's counter: orders revisions created within one second. */
  number: number;
}

export interface RevisionSources {
  workload?: Workload | undefined;
  replicaSets: readonly V1ReplicaSet[];
  controllerRevisions?: readonly V1ControllerRevision[] | undefined;
}

export function pastRevisions(o: RevisionSources): PastRevision[] {
  const created = (m: { creationTimestamp?: Date | string } | undefined) => new Date(m?.creationTimestamp ?? 0).getTime();
  if (o.workload?.kind === 'DaemonSet' || o.workload?.kind === 'StatefulSet') {
    return (o.controllerRevisions ?? []).flatMap((cr) => {
      const template = controllerRevisionTemplate(cr);
      return template ? [{ template, created: created(cr.metadata), number: cr.revision }] : [];
    });
  }
  return o.replicaSets.flatMap((rs) => rs.spec?.template
    ? [{ template: rs.spec.template, created: created(rs.metadata), number: Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0) }]
    : []);
}

/**
 * A ControllerRevision of a DaemonSet or StatefulSet stores a strategic merge
 * patch that replaces the whole template: `{spec: {template: {..., $patch: replace}}}`.
 * The directive is the patch's, not the template's.
 */
export function controllerRevisionTemplate(cr: V1ControllerRevision): V1PodTemplateSpec | undefined {
  const data = cr.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const template = data?.spec?.template;
  if (!template || typeof template !== 'object') return undefined;
  const { $patch: _, ...rest } = template;
  return rest as V1PodTemplateSpec;
}

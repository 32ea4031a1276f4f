import type { V1ConfigMap, V1Pod, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';

// Garbage collection of rendered-config ConfigMaps, as a pure policy.
// Each distinct rendered config is its own immutable ConfigMap (configmap.ts),
// so one is written per config change; this decides which of them may go.
//
// Kept: every ConfigMap a kept revision of the Agent's workload mounts (its
// ReplicaSets' or ControllerRevisions' templates: the rollback targets; the
// last healthy revision runs from its kept template, so its config is kept
// through it, for as long as the workload's revisionHistoryLimit keeps it),
// the one the workload's live template
// mounts (applied, but its ReplicaSet not created or not yet in the cache),
// the one any pod mounts (a pod outliving its ReplicaSet in the cache), and
// the one the spec asks for now. Deleted: the rest of the Agent's own.
// The fixed-name ConfigMap of releases before content addressing is one of
// the Agent's own too, so it goes by the same rule once nothing mounts it.

export interface ConfigGcInput {
  /** The Agent's own ConfigMaps (controller ownerReference to it): nothing else is ever a candidate. */
  owned: readonly V1ConfigMap[];
  /** The pod templates the workload keeps (src/reconcile/revisions.ts). */
  revisions: readonly V1PodTemplateSpec[];
  pods: readonly V1Pod[];
  /** The workload as applied: its template may not have a kept revision yet. */
  workload?: { spec?: { template?: V1PodTemplateSpec } } | undefined;
  /** The rendered-config ConfigMap the spec asks for now, if any. */
  desired?: string | undefined;
}

export interface ConfigMapToDelete { name: string; uid?: string }

/** The Agent's ConfigMaps nothing needs any more, sorted by name. */
export function configMapsToDelete(input: ConfigGcInput): ConfigMapToDelete[] {
  const keep = new Set<string>();
  if (input.desired !== undefined) keep.add(input.desired);
  const mounted = (spec: V1PodSpec | undefined) => {
    for (const v of spec?.volumes ?? []) if (v.configMap?.name) keep.add(v.configMap.name);
  };
  for (const t of input.revisions) mounted(t.spec);
  for (const pod of input.pods) mounted(pod.spec);
  mounted(input.workload?.spec?.template?.spec);
  return input.owned
    .filter((cm) => cm.metadata?.name !== undefined && !keep.has(cm.metadata.name))
    .map((cm) => (cm.metadata?.uid ? { name: cm.metadata.name!, uid: cm.metadata.uid } : { name: cm.metadata!.name! }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

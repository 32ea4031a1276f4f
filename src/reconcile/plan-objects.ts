import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { runningTemplate, type DesiredObjects, type DesiredTemplate, type RunningTemplate } from '../desired/index.ts';
import type { ApplyObject } from '../desired/desired-hash.ts';
import { revisionAnnotation } from '../desired/labels.ts';
import type { Workload } from '../desired/workload.ts';
import { canonicalJson } from '../lib/canonical-json.ts';
import { podPolicyProblems, type PodPolicy } from '../policy/pod-policy.ts';
import { configMapsToDelete } from './config-gc.ts';
import type { Observed } from './gather.ts';
import { needsApply } from './needs-apply.ts';
import type { PastRevision } from './revisions.ts';

// What plan writes of the objects it built: applies where the live object
// differs, removals of what the spec no longer asks for, and the template a
// held rollout keeps.

export interface OwnedRef { apiVersion: string; kind: string; name: string; namespace: string; uid?: string }

/** The writes of objects in a Plan (plan.ts). */
export interface Writes {
  /** Owned objects whose live state differs from the desired one. */
  apply: ApplyObject[];
  /** The objects in `apply` no cache shows: the name is read before they are created (gather.ts probeCreates). */
  creates: ApplyObject[];
  /** Owned objects the spec no longer asks for (a Service after ports were removed, a PDB at one replica). */
  remove: OwnedRef[];
}

/**
 * Objects to write. A missing reference, an invalid spec or a pod the pod
 * policy refuses holds the workload's pod template at the one last applied
 * (docs/architecture.md, "A missing reference holds, never breaks": the running
 * revision stays, and a hand edit meanwhile is reverted) and its ConfigMap as
 * it is; the rest still converge.
 */
export function planObjects(out: Writes, d: DesiredObjects, o: Observed, revisions: readonly PastRevision[], holdRollout: boolean, templateHeld: boolean): void {
  const ns = o.agent.metadata.namespace ?? '';
  const conflicting = new Set((o.conflicts ?? []).map((c) => c.kind));
  const want = (desired: ApplyObject | undefined, live: unknown) => {
    if (!desired || conflicting.has(desired.kind) || !needsApply(desired, live)) return;
    out.apply.push(desired);
    if (live === undefined) out.creates.push(desired);
  };
  // Pods mount the ConfigMap and the claim by name: with someone else's under
  // that name, the Deployment would run on their data, so it waits too.
  if (!holdRollout) want(d.configMap as ApplyObject | undefined, o.configMaps?.find((cm) => cm.metadata?.name === d.configMap?.metadata.name));
  if ((!holdRollout || templateHeld) && !conflicting.has('ConfigMap') && !conflicting.has('PersistentVolumeClaim')) {
    want(d.workload as ApplyObject, o.workload);
  }
  // clusterIP is immutable: a switch between ClusterIP and Headless deletes the
  // Service, and the reconcile that follows the delete event creates the new one.
  const headless = (svc: { spec?: { clusterIP?: string } } | undefined) => svc?.spec?.clusterIP === 'None';
  if (d.service && o.service?.metadata?.name && headless(d.service) !== headless(o.service)) {
    out.remove.push({ apiVersion: 'v1', kind: 'Service', name: o.service.metadata.name, namespace: ns });
  } else {
    want(d.service as ApplyObject | undefined, o.service);
  }
  want(d.pvc as ApplyObject | undefined, o.pvc);
  want(d.pdb as ApplyObject | undefined, o.pdb);
  // The live objects are this Agent's (gather drops the rest), so removing them is safe.
  const gone = (live: { metadata?: { name?: string } } | undefined, desired: unknown, apiVersion: string, kind: string) => {
    if (live?.metadata?.name && desired === undefined) out.remove.push({ apiVersion, kind, name: live.metadata.name, namespace: ns });
  };
  gone(o.service, d.service, 'v1', 'Service');
  gone(o.pdb, d.pdb, 'policy/v1', 'PodDisruptionBudget');
  // Held: what the held template mounts is kept by its ReplicaSet anyway, but nothing is collected until the hold ends.
  if (!holdRollout) {
    const drop = configMapsToDelete({ owned: o.configMaps ?? [], revisions: revisions.map((r) => r.template), pods: o.pods, workload: o.workload, desired: d.configMap?.metadata.name });
    for (const cm of drop) out.remove.push({ apiVersion: 'v1', kind: 'ConfigMap', name: cm.name, namespace: ns, ...(cm.uid ? { uid: cm.uid } : {}) });
  }
}

/**
 * The template a held rollout keeps the workload at (lastAppliedTemplate),
 * when the workload no longer runs it: only a hand edit is reverted, since
 * re-applying the template the Deployment still runs would only rewrite our
 * hash annotation, and any annotation change bumps a Deployment's generation.
 * The template held to passes the pod policy too (the policy may have
 * tightened since it was applied).
 */
export function heldTemplate(o: Observed, revisions: readonly PastRevision[], t: DesiredTemplate, podPolicy: PodPolicy): RunningTemplate | undefined {
  const held = lastAppliedTemplate(o.workload, revisions);
  if (!held || runsTemplate(o.workload, held)) return undefined;
  const running = runningTemplate(t, held);
  return podPolicyProblems(podPolicy, o.agent.metadata.namespace ?? '', running.template, t.spec.mode).length === 0 ? running : undefined;
}

/**
 * The pod template the operator last applied, for a held rollout. The
 * workload itself may carry a hand edit by now (`kubectl set image`), which
 * keeps our revision annotation; but that annotation first reached the
 * cluster through our own apply, so the oldest kept revision (ReplicaSet or
 * ControllerRevision) that carries it holds our template. None yet (the
 * controller has not made it): nothing to hold to.
 */
function lastAppliedTemplate(deployment: Workload | undefined, revisions: readonly PastRevision[]): V1PodTemplateSpec | undefined {
  const rev = deployment?.spec?.template?.metadata?.annotations?.[revisionAnnotation];
  if (rev === undefined) return undefined;
  // Within one second (creationTimestamp's resolution) the controller's own counter orders them.
  const oldest = revisions
    .filter((r) => r.template.metadata?.annotations?.[revisionAnnotation] === rev)
    .sort((a, b) => a.created - b.created || a.number - b.number)[0];
  return oldest?.template;
}

/** The Deployment's template is the ReplicaSet's, but for the label the Deployment controller adds to its copy. */
function runsTemplate(deployment: Workload | undefined, template: V1PodTemplateSpec): boolean {
  const current = deployment?.spec?.template;
  if (!current) return false;
  const { 'pod-template-hash': _, ...labels } = template.metadata?.labels ?? {};
  const copy = { ...template, metadata: { ...template.metadata, labels } };
  const normal = (t: V1PodTemplateSpec) => canonicalJson({ ...t, metadata: { ...t.metadata, labels: t.metadata?.labels ?? {} } });
  return normal(current) === normal(copy);
}

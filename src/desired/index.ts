import type { V1ConfigMap, V1PersistentVolumeClaim, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import type { Owned } from './meta.ts';
import { pdb } from './pdb.ts';
import { pvc } from './pvc.ts';
import { service } from './service.ts';
import type { DesiredTemplate, DesiredWarning, RunningTemplate } from './template.ts';
import { workload, type Workload } from './workload.ts';

// The second half of building: every object the operator applies, from the
// template (template.ts) and what the reconciler decided on it. plan.ts
// decides first, then calls objectsFrom once.

/** What the reconciler decided about the objects, beyond the template. */
export interface ObjectOverrides {
  /** Scale to 0 until dependencies are Ready. */
  holdForDependencies?: boolean;
  /** A Ready pod of another revision with no failure serves: a memory raise keeps minReadySeconds (deployment.ts). */
  healthyPodsServing?: boolean;
}

export interface DesiredObjects {
  ok: true;
  /** The workload, of the kind spec.mode asks for (a Deployment by default); what differs per kind is in src/status/workload-rollout.ts. */
  workload: Owned<Workload>;
  service?: Owned<V1Service>;
  configMap?: Owned<V1ConfigMap>;
  pvc?: Owned<V1PersistentVolumeClaim>;
  pdb?: Owned<V1PodDisruptionBudget>;
  /** The revision the spec asks for (status.revision). */
  revision: string;
  /** The rendered config and how it reaches running pods (template.ts). */
  config?: DesiredTemplate['config'];
  /** The revision in the workload: `revision`, or the override's while rolled back. */
  appliedRevision: string;
  warnings: DesiredWarning[];
}

/**
 * The objects, from a template that was built and the template the workload
 * runs (runningTemplate). Pure, and it cannot fail: every way to fail is the
 * template's.
 */
export function objectsFrom(t: DesiredTemplate, running: RunningTemplate, overrides: ObjectOverrides = {}): DesiredObjects {
  const { owner, spec } = t;
  const out: DesiredObjects = {
    ok: true,
    workload: workload(owner, spec, running.template, {
      holdForDependencies: overrides.holdForDependencies === true,
      readyAtOnce: t.memoryLimitOverride !== undefined && !overrides.healthyPodsServing,
      memoryRaised: t.memoryLimitOverride !== undefined,
    }),
    revision: t.revision,
    appliedRevision: running.appliedRevision,
    warnings: t.warnings,
  };
  const svc = service(owner, spec);
  if (svc) out.service = svc;
  if (t.configMap) out.configMap = t.configMap;
  if (t.config) out.config = t.config;
  // A StatefulSet makes a claim per replica from its volumeClaimTemplates.
  if (spec.storage && spec.mode !== 'StatefulSet') out.pvc = pvc(owner, spec.storage);
  const budget = pdb(owner, spec);
  if (budget) out.pdb = budget;
  return out;
}

export { desiredTemplate, runningTemplate, type DesiredTemplate, type RunningTemplate } from './template.ts';
export { resolveSpec } from './defaults.ts';

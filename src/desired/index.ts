import type {
  V1ConfigMap, V1PersistentVolumeClaim, V1PodDisruptionBudget, V1PodTemplateSpec, V1Service,
} from '@kubernetes/client-node';
import type { Agent } from '../api/agent.ts';
import type { Reason } from '../api/reasons.ts';
import { renderConfig } from './config.ts';
import { configMap } from './configmap.ts';
import { resolveSpec, type ResolvedReload, type ResolvedSpec } from './defaults.ts';
import { rollbackTemplate } from './deployment.ts';
import { sha256Hex } from './hash.ts';
import { revisionAnnotation } from './labels.ts';
import { secretDigestsAnnotation } from '../api/annotations.ts';
import { secretDigestsValue } from './secret-digests.ts';
import { ownerOf, type Owned } from './meta.ts';
import { pdb } from './pdb.ts';
import { podTemplate } from './pod-spec.ts';
import { pvc } from './pvc.ts';
import { digestKeys, references } from './references.ts';
import { revision, revisionOf } from './revision.ts';
import { service } from './service.ts';
import { workload, type Workload } from './workload.ts';

/** What the reconciler observed and decided; everything else comes from the Agent. */
export interface DesiredInputs {
  /** `Secret/<name>/<key>`, `Secret/<name>`, `ConfigMap/<name>/<key>`, `ConfigMap/<name>` -> digest of the content (references.ts `digestKey`). Never values. */
  referenceDigests: Readonly<Record<string, string>>;
  /** Text of each config layer, in layer order; undefined for inline layers. */
  configLayers: readonly (string | undefined)[];
  /** Memory limit in force after OOM kills (status.recovery.memoryLimit). */
  memoryLimitOverride?: string;
  /** Pod template of an older revision (ReplicaSet or ControllerRevision), while rolled back. */
  podTemplateOverride?: V1PodTemplateSpec;
  /** Scale to 0 until dependencies are Ready. */
  holdForDependencies?: boolean;
  /** A Ready pod of another revision with no failure serves: a memory raise keeps minReadySeconds (deployment.ts). */
  healthyPodsServing?: boolean;
}

export interface DesiredWarning { reason: Reason; message: string }

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
  /**
   * The rendered config: sha256 of the file's bytes (what an agent that
   * digests its file reports) and how it reaches running pods. With InPlace
   * and HTTP it is not part of the revision, so the reconciler carries it to
   * the pods itself (src/reconcile/config-reload.ts).
   */
  config?: { hash: string; reload: ResolvedReload; configMapName: string };
  /** The revision in the Deployment: `revision`, or the override's while rolled back. */
  appliedRevision: string;
  warnings: DesiredWarning[];
}

/** The Agent cannot be built as written; the reconciler holds the running revision and reports this. */
export interface DesiredError {
  ok: false;
  reason: Extract<Reason, 'InvalidConfig' | 'InvalidSpec' | 'ConfigMapNotFound'>;
  message: string;
}

export type DesiredResult = DesiredObjects | DesiredError;

/**
 * Key under which the rendered config's digest joins the revision. Inline
 * layers live only in the Agent, not in the pod template; the template names
 * the content-addressed ConfigMap (configmap.ts), which rolls the pods on a
 * change already, but the revision says so on its own too: a revision is the
 * identity of what runs, config included, whatever names the template uses.
 */
export const renderedConfigDigestKey = 'rendered/config';

/**
 * Agent + observed inputs -> every object the operator applies. Pure: no I/O,
 * no clock, the Agent is not touched; the same arguments give equal objects.
 * All or nothing: when any part cannot be built nothing is returned, so a bad
 * config layer never half-applies.
 */
export function desiredObjects(agent: Agent, inputs: DesiredInputs): DesiredResult {
  const owner = ownerOf(agent);
  const spec = resolveSpec(agent.spec);

  // InPlace/HTTP: the config reaches running pods without a new revision, so
  // neither the rendered file nor a ConfigMap read only as a layer is in it.
  const inPlace = spec.config !== undefined && spec.config.reload.mode !== 'Restart';
  const digests: Record<string, string> = {};
  for (const key of digestKeys(references(inPlace ? { ...agent.spec, config: undefined } : agent.spec))) {
    const digest = inputs.referenceDigests[key];
    if (digest !== undefined) digests[key] = digest;
  }

  let rendered: string | undefined;
  if (spec.config) {
    const result = renderConfig(spec.config, inputs.configLayers);
    if (!result.ok) return result;
    rendered = result.content;
    if (!inPlace) digests[renderedConfigDigestKey] = sha256Hex(rendered);
    if (spec.config.reload.http && spec.config.reload.http.port === undefined) {
      return { ok: false, reason: 'InvalidSpec', message: 'spec.config.reload.mode is HTTP but no port is known: set spec.config.reload.http.port, or add a TCP port to spec.ports' };
    }
  }

  const cm = spec.config && rendered !== undefined ? configMap(owner, spec.config, rendered) : undefined;
  const built = podTemplate(owner, spec, {
    ...(inputs.memoryLimitOverride === undefined ? {} : { memoryLimitOverride: inputs.memoryLimitOverride }),
    ...(cm ? { configMapName: cm.metadata.name } : {}),
  });
  if (!built.ok) return built;
  const rev = revision(built.template, digests);
  // The Secret digests are already in the revision; the annotation only records them for a later rollback to compare.
  const secrets = secretDigestsValue(digests);
  const template: V1PodTemplateSpec = {
    ...built.template,
    metadata: {
      ...built.template.metadata,
      annotations: { ...built.template.metadata?.annotations, [revisionAnnotation]: rev, ...(secrets ? { [secretDigestsAnnotation]: secrets } : {}) },
    },
  };

  const running = inputs.podTemplateOverride ? rollbackTemplate(owner, inputs.podTemplateOverride, inputs.memoryLimitOverride) : template;
  const out: DesiredObjects = {
    ok: true,
    workload: workload(owner, spec, running, {
      ...(inputs.holdForDependencies ? { holdForDependencies: true } : {}),
      ...(inputs.memoryLimitOverride !== undefined && !inputs.healthyPodsServing ? { readyAtOnce: true } : {}),
    }),
    revision: rev,
    appliedRevision: inputs.podTemplateOverride ? (revisionOf(running) ?? revision(running, {})) : rev,
    warnings: warnings(spec),
  };
  const svc = service(owner, spec);
  if (svc) out.service = svc;
  if (cm) out.configMap = cm;
  if (cm && spec.config && rendered !== undefined) out.config = { hash: sha256Hex(rendered), reload: spec.config.reload, configMapName: cm.metadata.name };
  // A StatefulSet makes a claim per replica from its volumeClaimTemplates.
  if (spec.storage && spec.mode !== 'StatefulSet') out.pvc = pvc(owner, spec.storage);
  const budget = pdb(owner, spec);
  if (budget) out.pdb = budget;
  return out;
}

function warnings(spec: ResolvedSpec): DesiredWarning[] {
  const out: DesiredWarning[] = [];
  if (!spec.health.liveness && !spec.health.readiness) {
    out.push({
      reason: 'ProbesMissing',
      message: `no liveness or readiness probe: ${why(spec)}, so a hung agent goes unnoticed; add spec.health.liveness (exec, httpGet or tcpSocket)`,
    });
  }
  return out;
}

function why(spec: ResolvedSpec): string {
  if (spec.health.startup) return 'spec.health has only a startup probe';
  if (spec.ports.length === 0) return 'the agent has no spec.ports and no spec.health';
  return 'spec.ports has no TCP port for a default probe and spec.health is not set';
}

export { resolveSpec, type ResolvedSpec } from './defaults.ts';
export type { Owned, Owner } from './meta.ts';
export { references, digestKey, digestKeys, referencedNames, type Reference, type References } from './references.ts';
export { selectorLabels, selectorString, revisionAnnotation } from './labels.ts';
export type { Workload } from './workload.ts';
export { deploymentName, workloadName, serviceName, configMapName, legacyConfigMapName, liveConfigMapName, pvcName, pdbName } from './names.ts';

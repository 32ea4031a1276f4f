import type { V1ConfigMap, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Agent } from '../api/agent.ts';
import { secretDigestsAnnotation } from '../api/annotations.ts';
import type { Reason } from '../api/reasons.ts';
import { renderConfig } from './config.ts';
import { configMap } from './configmap.ts';
import { resolveSpec, type ResolvedReload, type ResolvedSpec } from './defaults.ts';
import { rollbackTemplate } from './deployment.ts';
import { sha256Hex } from './hash.ts';
import { revisionAnnotation } from './labels.ts';
import { ownerOf, type Owned, type Owner } from './meta.ts';
import { podTemplate } from './pod-spec.ts';
import { digestKeys, references } from './references.ts';
import { revision, revisionOf } from './revision.ts';
import { secretDigestsValue } from './secret-digests.ts';

// The first half of building: the pod template the spec asks for and its
// revision. It is all the recovery decision needs (plan.ts decides on it
// before any object is built); index.ts builds the objects from it.

/** What the reconciler observed that the template and its revision depend on. */
export interface TemplateInputs {
  /** `Secret/<name>/<key>`, `Secret/<name>`, `ConfigMap/<name>/<key>`, `ConfigMap/<name>` -> digest of the content (references.ts `digestKey`). Never values. */
  referenceDigests: Readonly<Record<string, string>>;
  /** Text of each config layer, in layer order; undefined for inline layers. */
  configLayers: readonly (string | undefined)[];
  /** Memory limit in force after OOM kills (status.recovery.memoryLimit): part of the template, so of the revision. */
  memoryLimitOverride?: string;
}

/** The Agent cannot be built as written; the reconciler holds the running revision and reports this. */
export interface DesiredError {
  ok: false;
  reason: Extract<Reason, 'InvalidConfig' | 'InvalidSpec' | 'ConfigMapNotFound'>;
  message: string;
}

export interface DesiredTemplate {
  ok: true;
  owner: Owner;
  spec: ResolvedSpec;
  /** The spec's pod template, its revision annotation on. */
  template: V1PodTemplateSpec;
  /** The revision the spec asks for (status.revision). */
  revision: string;
  memoryLimitOverride?: string;
  configMap?: Owned<V1ConfigMap>;
  /**
   * The rendered config: sha256 of the file's bytes (what an agent that
   * digests its file reports) and how it reaches running pods. With InPlace
   * and HTTP it is not part of the revision, so the reconciler carries it to
   * the pods itself (src/reconcile/config-reload.ts).
   */
  config?: { hash: string; reload: ResolvedReload; configMapName: string };
  warnings: DesiredWarning[];
}

export interface DesiredWarning { reason: Reason; message: string }

/** The template the workload runs: the spec's, or an older revision's while rolled back or held. */
export interface RunningTemplate {
  template: V1PodTemplateSpec;
  /** The revision in the workload: the spec's, or the override's. */
  appliedRevision: string;
}

/**
 * Key under which the rendered config's digest joins the revision. Inline
 * layers live only in the Agent, not in the pod template; the template names
 * the content-addressed ConfigMap (configmap.ts), which rolls the pods on a
 * change already, but the revision says so on its own too: a revision is the
 * identity of what runs, config included, whatever names the template uses.
 */
export const renderedConfigDigestKey = 'rendered/config';

/**
 * Agent + observed inputs -> the pod template and its revision. Pure; every
 * way the Agent cannot be built shows here, so building the objects from the
 * result cannot fail.
 */
export function desiredTemplate(agent: Agent, inputs: TemplateInputs): DesiredTemplate | DesiredError {
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

  let cm: Owned<V1ConfigMap> | undefined;
  let config: DesiredTemplate['config'];
  if (spec.config) {
    const result = renderConfig(spec.config, inputs.configLayers);
    if (!result.ok) return result;
    const hash = sha256Hex(result.content);
    if (!inPlace) digests[renderedConfigDigestKey] = hash;
    if (spec.config.reload.http && spec.config.reload.http.port === undefined) {
      return { ok: false, reason: 'InvalidSpec', message: 'spec.config.reload.mode is HTTP but no port is known: set spec.config.reload.http.port, or add a TCP port to spec.ports' };
    }
    cm = configMap(owner, spec.config, result.content);
    config = { hash, reload: spec.config.reload, configMapName: cm.metadata.name };
  }

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
  const out: DesiredTemplate = { ok: true, owner, spec, template, revision: rev, warnings: warnings(spec) };
  if (inputs.memoryLimitOverride !== undefined) out.memoryLimitOverride = inputs.memoryLimitOverride;
  if (cm) out.configMap = cm;
  if (config) out.config = config;
  return out;
}

/** The template the workload runs: `override` (an older revision's, the memory limit in force laid on it) or the spec's. */
export function runningTemplate(t: DesiredTemplate, override: V1PodTemplateSpec | undefined): RunningTemplate {
  if (!override) return { template: t.template, appliedRevision: t.revision };
  const template = rollbackTemplate(t.owner, override, t.memoryLimitOverride);
  return { template, appliedRevision: revisionOf(template) ?? revision(template, {}) };
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

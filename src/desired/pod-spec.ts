import type {
  V1Affinity, V1Container, V1EnvFromSource, V1EnvVar, V1ObjectMeta, V1PodSpec, V1PodTemplateSpec,
  V1Toleration, V1Volume, V1VolumeMount,
} from '@kubernetes/client-node';
import type { EnvFromSource, EnvVar } from '../api/env.ts';
import { parseQuantity } from '../lib/quantity.ts';
import type { ResolvedSpec } from './defaults.ts';
import { podLabels } from './labels.ts';
import type { Owner } from './meta.ts';
import { pvcName } from './names.ts';
import { podTolerations } from './failover.ts';
import { containerProbe, type ProbeKind } from './probes.ts';
import { containerSecurityContext, podSecurityContext } from './security.ts';

export const containerName = 'agent';
/** The init container that runs spec.config.validate.command. */
export const validateContainerName = 'validate-config';
/** Volume names the operator reserves in the pod; a podTemplate volume with one of them is refused. */
export const configVolume = 'agent-config';
export const stateVolume = 'agent-state';
export const terminationGracePeriodSeconds = 30;

export type PodTemplateResult =
  | { ok: true; template: V1PodTemplateSpec }
  | { ok: false; reason: 'InvalidSpec'; message: string };

export interface PodTemplateOptions {
  memoryLimitOverride?: string;
  /** The rendered config's ConfigMap (configmap.ts); required when spec.config is set. */
  configMapName?: string;
}

/**
 * The pod template, without the revision annotation (revision.ts hashes this
 * and template.ts adds it). Only fields the operator means to own are set: with
 * server-side apply every field sent is a field claimed.
 */
export function podTemplate(owner: Owner, spec: ResolvedSpec, opts: PodTemplateOptions = {}): PodTemplateResult {
  const container: V1Container = { name: containerName, image: spec.image };
  if (spec.command) container.command = spec.command;
  if (spec.args) container.args = spec.args;
  if (spec.imagePullPolicy) container.imagePullPolicy = spec.imagePullPolicy;
  if (spec.ports.length) container.ports = spec.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol }));
  container.resources = withMemoryOverride(spec.resources, opts.memoryLimitOverride);
  // A crash's reason is in the log; with this the kubelet keeps its tail in the
  // pod status, where the operator reads it without any log permission.
  container.terminationMessagePolicy = spec.podTemplate.terminationMessagePolicy ?? 'FallbackToLogsOnError';
  if (spec.env.length) container.env = spec.env.map(envVar);
  if (spec.envFrom.length) container.envFrom = spec.envFrom.map(envFromSource);

  const probeFields = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' } as const;
  for (const kind of ['liveness', 'readiness', 'startup'] as const satisfies ProbeKind[]) {
    const p = spec.health[kind];
    if (!p) continue;
    const built = containerProbe(kind, p, spec.ports);
    if (!built.ok) return { ok: false, reason: 'InvalidSpec', message: built.message };
    container[probeFields[kind]] = built.probe;
  }

  const storage = storageVolumes(owner, spec, opts.configMapName);
  if (!storage.ok) return storage;
  if (storage.mounts.length) container.volumeMounts = storage.mounts;
  const securityContext = containerSecurityContext(spec.podTemplate.securityContext);
  if (securityContext) container.securityContext = securityContext;

  const pt = spec.podTemplate;
  const pod: V1PodSpec = { containers: [container] };
  if (spec.config?.validate) pod.initContainers = [validateContainer(spec, container)];
  if (storage.volumes.length) pod.volumes = storage.volumes;
  const podSecurity = podSecurityContext(pt.securityContext, { storage: spec.storage !== undefined });
  if (podSecurity) pod.securityContext = podSecurity;
  // No token in the pod unless the user chose a ServiceAccount: an agent that
  // does not talk to the apiserver should not carry credentials for it.
  if (pt.serviceAccountName) pod.serviceAccountName = pt.serviceAccountName;
  pod.automountServiceAccountToken = pt.serviceAccountName !== undefined;
  // Service links inject one env var set per Service in the namespace: noise, and a startup-time hazard in big namespaces.
  pod.enableServiceLinks = false;
  pod.terminationGracePeriodSeconds = terminationGracePeriodSeconds;
  if (pt.nodeSelector && Object.keys(pt.nodeSelector).length) pod.nodeSelector = pt.nodeSelector;
  const tolerations: V1Toleration[] = podTolerations(spec);
  if (tolerations.length) pod.tolerations = tolerations;
  if (pt.affinity) pod.affinity = pt.affinity as V1Affinity;
  if (pt.topologySpreadConstraints?.length) pod.topologySpreadConstraints = pt.topologySpreadConstraints;
  if (pt.priorityClassName) pod.priorityClassName = pt.priorityClassName;

  const metadata: V1ObjectMeta = { labels: podLabels(owner.name, pt.labels) };
  if (pt.annotations && Object.keys(pt.annotations).length) metadata.annotations = { ...pt.annotations };
  return { ok: true, template: { metadata, spec: pod } };
}

/**
 * The agent image's own check of the rendered file, before the agent starts:
 * the same image, resources and security context as the agent, the config
 * mount only, and the file's path in $(CONFIG_FILE) (the kubelet expands it
 * in the command). A non-zero exit keeps the agent from starting on that
 * file; its output is the init container's termination message (last words).
 */
function validateContainer(spec: ResolvedSpec, agent: V1Container): V1Container {
  const config = spec.config!;
  const out: V1Container = {
    name: validateContainerName,
    image: spec.image,
    command: config.validate!.command,
    env: [{ name: 'CONFIG_FILE', value: `${config.mountPath.replace(/\/+$/, '')}/${config.fileName}` }],
    volumeMounts: (agent.volumeMounts ?? []).filter((m) => m.name === configVolume),
    resources: agent.resources!,
    terminationMessagePolicy: agent.terminationMessagePolicy!,
  };
  if (spec.imagePullPolicy) out.imagePullPolicy = spec.imagePullPolicy;
  if (agent.securityContext) out.securityContext = agent.securityContext;
  return out;
}

/**
 * An OOM override replaces limits.memory; requests.memory is lowered to it only
 * if it would otherwise exceed the limit (an override normally raises it).
 * Of the spec's resources, or of a container an older ReplicaSet runs (rollback).
 */
export function withMemoryOverride(resources: { requests?: Record<string, string>; limits?: Record<string, string> }, override: string | undefined): { requests: Record<string, string>; limits: Record<string, string> } {
  const requests: Record<string, string> = { ...resources.requests };
  const limits: Record<string, string> = { ...resources.limits };
  if (override !== undefined) {
    limits.memory = override;
    if (requests.memory !== undefined && parseQuantity(requests.memory) > parseQuantity(override)) requests.memory = override;
  }
  return { requests, limits };
}

/** Env exactly as written: references stay references, so the kubelet reads the Secret and the operator never copies a value. */
function envVar(e: EnvVar): V1EnvVar {
  const out: V1EnvVar = { name: e.name };
  if (e.value) out.value = e.value; // "" is the same as unset to the apiserver (omitempty)
  const from = e.valueFrom;
  if (from?.secretKeyRef) out.valueFrom = { secretKeyRef: keyRef(from.secretKeyRef) };
  else if (from?.configMapKeyRef) out.valueFrom = { configMapKeyRef: keyRef(from.configMapKeyRef) };
  else if (from?.fieldRef) out.valueFrom = { fieldRef: { fieldPath: from.fieldRef.fieldPath } };
  return out;
}

function keyRef(r: { name: string; key: string; optional?: boolean | undefined }): { name: string; key: string; optional?: boolean } {
  return r.optional === undefined ? { name: r.name, key: r.key } : { name: r.name, key: r.key, optional: r.optional };
}

function envFromSource(e: EnvFromSource): V1EnvFromSource {
  const out: V1EnvFromSource = {};
  if (e.prefix) out.prefix = e.prefix;
  const ref = e.secretRef ?? e.configMapRef;
  const target = ref && (ref.optional === undefined ? { name: ref.name } : { name: ref.name, optional: ref.optional });
  if (e.secretRef) out.secretRef = target;
  else if (e.configMapRef) out.configMapRef = target;
  return out;
}

type Volumes = { ok: true; volumes: V1Volume[]; mounts: V1VolumeMount[] } | { ok: false; reason: 'InvalidSpec'; message: string };

/**
 * The rendered config (read-only), the state claim and the user's volumes.
 * Clashing volume names or mount paths would make the apiserver refuse the
 * Deployment with a message about fields the user never wrote; they are
 * refused here instead, in the user's terms.
 */
function storageVolumes(owner: Owner, spec: ResolvedSpec, configMapName: string | undefined): Volumes {
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  const origin = new Map<string, string>();
  const mountOrigin = new Map<string, string>();
  const addVolume = (v: V1Volume, from: string): string | undefined => {
    const prior = origin.get(v.name);
    if (prior) return `volume name ${v.name} in ${from} is already used by ${prior}: rename the podTemplate volume`;
    origin.set(v.name, from);
    volumes.push(v);
    return undefined;
  };
  const addMount = (m: V1VolumeMount, from: string): string | undefined => {
    const path = m.mountPath.replace(/\/+$/, '') || '/';
    const prior = mountOrigin.get(path);
    if (prior) return `mount path ${m.mountPath} of ${from} is already used by ${prior}: give each a different path`;
    mountOrigin.set(path, from);
    mounts.push(m);
    return undefined;
  };
  const problems: (string | undefined)[] = [];
  if (spec.config) {
    if (configMapName === undefined) throw new TypeError('podTemplate: spec.config is set but no rendered-config ConfigMap name was given');
    // A directory mount, never subPath: the kubelet rewrites a directory's files
    // when the ConfigMap changes (reload InPlace/HTTP), a subPath file never.
    problems.push(addVolume({ name: configVolume, configMap: { name: configMapName } }, 'spec.config'));
    problems.push(addMount({ name: configVolume, mountPath: spec.config.mountPath, readOnly: true }, 'spec.config.mountPath'));
  }
  if (spec.storage) {
    // A StatefulSet gives each replica its own claim through volumeClaimTemplates under this volume name.
    if (spec.mode !== 'StatefulSet') problems.push(addVolume({ name: stateVolume, persistentVolumeClaim: { claimName: pvcName(owner.name) } }, 'spec.storage'));
    else origin.set(stateVolume, 'spec.storage');
    problems.push(addMount({ name: stateVolume, mountPath: spec.storage.mountPath }, 'spec.storage.mountPath'));
  }
  for (const [i, v] of (spec.podTemplate.volumes ?? []).entries()) {
    problems.push(addVolume({ ...v } as V1Volume, `spec.podTemplate.volumes[${i}]`));
  }
  for (const [i, m] of (spec.podTemplate.volumeMounts ?? []).entries()) {
    problems.push(addMount({ ...m }, `spec.podTemplate.volumeMounts[${i}]`));
  }
  const problem = problems.find((p) => p !== undefined);
  if (problem) return { ok: false, reason: 'InvalidSpec', message: problem };
  return { ok: true, volumes, mounts };
}

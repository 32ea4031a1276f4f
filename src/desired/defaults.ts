import { configDefaults, reloadDefaults, type ConfigLayer, type ConfigReload, type ReloadMode } from '../api/config.ts';
import { failoverDefaults } from '../api/failover.ts';
import { daemonSetDefaults, isZero, statefulSetDefaults, type Mode } from '../api/mode.ts';
import type { EnvFromSource, EnvVar } from '../api/env.ts';
import type { PodTemplate } from '../api/pod-template.ts';
import { probeDefaults, type Probe } from '../api/probes.ts';
import { formatMemory, parseQuantity } from '../lib/quantity.ts';
import { recoveryDefaults } from '../api/recovery.ts';
import { resourceDefaults, type AgentSpec } from '../api/spec.ts';
import { storageDefaults, type Storage } from '../api/storage.ts';

/**
 * The visible defaulting step. The spec is never written back (GitOps tools
 * would see drift); instead every builder reads this resolved copy, in which
 * each default named in the schema descriptions is filled in. The numbers come
 * from src/api, the one place they are written down.
 */

export type ResourceName = 'cpu' | 'memory' | 'ephemeral-storage';
export type ResourceList = Partial<Record<ResourceName, string>>;
export interface ResolvedResources { requests: ResourceList; limits: ResourceList }

export interface ResolvedPort { name: string; containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP' }

export type ProbeHandler = Pick<Probe, 'httpGet' | 'tcpSocket' | 'exec'>;
export type ResolvedProbe = ProbeHandler & {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
  initialDelaySeconds: number;
};
export interface ResolvedHealth {
  liveness?: ResolvedProbe;
  readiness?: ResolvedProbe;
  startup?: ResolvedProbe;
  /** True when liveness/readiness are the TCP default on the first port, not the user's. */
  defaulted: boolean;
}

export interface ResolvedReload {
  mode: ReloadMode;
  /** Mode HTTP only; `port` is undefined when neither the spec nor spec.ports names one (the builder refuses that). */
  http?: { port: number | undefined; path: string; method: 'POST' | 'PUT' | 'GET' };
  onFailure: 'RestartPod' | 'Report';
}
export interface ResolvedConfig {
  mountPath: string;
  fileName: string;
  layers: ConfigLayer[];
  reload: ResolvedReload;
  validate?: { command: string[] };
}

export type AccessMode = NonNullable<Storage['accessModes']>[number];
export interface ResolvedStorage {
  size: string;
  storageClassName?: string;
  accessModes: AccessMode[];
  mountPath: string;
  retainOnDelete: boolean;
}

export interface ResolvedRecovery {
  restart: {
    initialBackoffSeconds: number;
    maxBackoffSeconds: number;
    maxAttempts: number;
    windowSeconds: number;
    healthyResetSeconds: number;
  };
  oomKilled: { action: 'IncreaseMemory' | 'None'; maxMemory: string; proactive: boolean };
  onExhausted: 'Rollback' | 'Hold';
}

export type DependsOn = NonNullable<AgentSpec['dependsOn']>[number];

export interface ResolvedSpec {
  mode: Mode;
  /** DaemonSet mode's update bounds (resolved in every mode; only the DaemonSet builder reads them). */
  daemonSet: { maxUnavailable: number | string; maxSurge: number | string };
  statefulSet: { podManagementPolicy: 'OrderedReady' | 'Parallel' };
  failover: { nodeLostSeconds: number; releaseStatefulPods: 'Never' | 'ForceDelete'; nodeGoneSeconds: number };
  image: string;
  command?: string[];
  args?: string[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  replicas: number;
  ports: ResolvedPort[];
  resources: ResolvedResources;
  health: ResolvedHealth;
  env: EnvVar[];
  envFrom: EnvFromSource[];
  config?: ResolvedConfig;
  storage?: ResolvedStorage;
  dependsOn: DependsOn[];
  recovery: ResolvedRecovery;
  podTemplate: PodTemplate;
  service: { enabled: boolean; type: 'ClusterIP' | 'Headless' };
  disruption?: { minAvailable: number | string };
  managementState: 'Managed' | 'Unmanaged';
}

const surges = (v: number | string | undefined) => v !== undefined && !isZero(v);

/** Pure: the input is cloned first, so the result never aliases (and no builder can mutate) the Agent. */
export function resolveSpec(input: AgentSpec): ResolvedSpec {
  const spec = structuredClone(input);
  const ports = (spec.ports ?? []).map((p): ResolvedPort => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' }));
  // Default probes and reload calls go to the first TCP port: a TCP probe on a UDP port (syslog, statsd) would fail forever and restart a healthy agent.
  const firstTcpPort = ports.find((p) => p.protocol === 'TCP')?.containerPort;
  const resources = resolveResources(spec.resources);
  const resolved: ResolvedSpec = {
    mode: spec.mode ?? 'Deployment',
    daemonSet: {
      // A surge with the default unavailability would be both at once, which Kubernetes refuses.
      maxUnavailable: spec.daemonSet?.updateStrategy?.maxUnavailable ?? (surges(spec.daemonSet?.updateStrategy?.maxSurge) ? 0 : daemonSetDefaults.maxUnavailable),
      maxSurge: spec.daemonSet?.updateStrategy?.maxSurge ?? daemonSetDefaults.maxSurge,
    },
    statefulSet: { podManagementPolicy: spec.statefulSet?.podManagementPolicy ?? statefulSetDefaults.podManagementPolicy },
    failover: {
      nodeLostSeconds: spec.failover?.nodeLostSeconds ?? failoverDefaults.nodeLostSeconds,
      releaseStatefulPods: spec.failover?.releaseStatefulPods ?? failoverDefaults.releaseStatefulPods,
      nodeGoneSeconds: spec.failover?.nodeGoneSeconds ?? failoverDefaults.nodeGoneSeconds,
    },
    image: spec.image,
    replicas: spec.replicas ?? 1,
    ports,
    resources,
    health: resolveHealth(spec.health, firstTcpPort),
    env: spec.env ?? [],
    envFrom: spec.envFrom ?? [],
    dependsOn: spec.dependsOn ?? [],
    recovery: resolveRecovery(spec.recovery, resources),
    podTemplate: spec.podTemplate ?? {},
    service: { enabled: spec.service?.enabled ?? ports.length > 0, type: spec.service?.type ?? 'ClusterIP' },
    managementState: spec.managementState ?? 'Managed',
  };
  if (spec.command) resolved.command = spec.command;
  if (spec.args) resolved.args = spec.args;
  if (spec.imagePullPolicy) resolved.imagePullPolicy = spec.imagePullPolicy;
  if (spec.disruption) resolved.disruption = spec.disruption;
  if (spec.config) {
    resolved.config = {
      mountPath: spec.config.mountPath ?? configDefaults.mountPath,
      fileName: spec.config.fileName ?? configDefaults.fileName,
      layers: spec.config.layers,
      reload: resolveReload(spec.config.reload, firstTcpPort),
    };
    if (spec.config.validate) resolved.config.validate = { command: spec.config.validate.command };
  }
  if (spec.storage) {
    resolved.storage = {
      size: String(spec.storage.size),
      accessModes: spec.storage.accessModes ?? [...storageDefaults.accessModes],
      mountPath: spec.storage.mountPath ?? storageDefaults.mountPath,
      retainOnDelete: spec.storage.retainOnDelete ?? storageDefaults.retainOnDelete,
    };
    if (spec.storage.storageClassName !== undefined) resolved.storage.storageClassName = spec.storage.storageClassName;
  }
  return resolved;
}

const resourceOrder: readonly ResourceName[] = ['cpu', 'memory', 'ephemeral-storage'];

/**
 * Defaults never produce an invalid pair: a defaulted request is lowered to a
 * smaller user limit, and a defaulted limit is raised to a larger user request
 * (a pod whose request exceeds its limit is refused by the apiserver, far from
 * the cause). Keys come out in a fixed order so the output is deterministic.
 */
function resolveResources(r: AgentSpec['resources']): ResolvedResources {
  const userRequests = r?.requests ?? {};
  const userLimits = r?.limits ?? {};
  const defaultRequests: ResourceList = resourceDefaults.requests;
  const defaultLimits: ResourceList = resourceDefaults.limits;
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  for (const name of resourceOrder) {
    const userRequest = userRequests[name];
    const userLimit = userLimits[name];
    const defaultRequest = defaultRequests[name];
    const defaultLimit = defaultLimits[name];
    if (userRequest !== undefined) requests[name] = String(userRequest);
    else if (defaultRequest !== undefined) requests[name] = userLimit !== undefined && parseQuantity(userLimit) < parseQuantity(defaultRequest) ? String(userLimit) : defaultRequest;
    // The limit is defaulted against the request as resolved just above.
    const request = requests[name];
    if (userLimit !== undefined) limits[name] = String(userLimit);
    else if (defaultLimit !== undefined) limits[name] = request !== undefined && parseQuantity(request) > parseQuantity(defaultLimit) ? request : defaultLimit;
  }
  return { requests, limits };
}

function resolveHealth(health: AgentSpec['health'], firstTcpPort: number | undefined): ResolvedHealth {
  const out: ResolvedHealth = { defaulted: false };
  const userGave = health !== undefined && (health.liveness ?? health.readiness ?? health.startup) !== undefined;
  if (userGave) {
    if (health.liveness) out.liveness = withTiming(health.liveness);
    if (health.readiness) out.readiness = withTiming(health.readiness);
    if (health.startup) out.startup = withTiming(health.startup);
  } else {
    if (firstTcpPort === undefined) return out;
    out.liveness = withTiming({ tcpSocket: { port: firstTcpPort } });
    out.readiness = withTiming({ tcpSocket: { port: firstTcpPort } });
    out.defaulted = true;
  }
  if (out.liveness && !out.startup) out.startup = startupWindow(out.liveness);
  return out;
}

function handlerOf(p: Probe): ProbeHandler {
  const h: ProbeHandler = {};
  if (p.httpGet) h.httpGet = p.httpGet;
  if (p.tcpSocket) h.tcpSocket = p.tcpSocket;
  if (p.exec) h.exec = p.exec;
  return h;
}

function withTiming(p: Probe): ResolvedProbe {
  const periodSeconds = p.periodSeconds ?? probeDefaults.periodSeconds;
  return {
    ...handlerOf(p),
    periodSeconds,
    // The default timeout stays shorter than the period, so a short period alone never breaks the timeout < period rule.
    timeoutSeconds: p.timeoutSeconds ?? Math.max(1, Math.min(probeDefaults.timeoutSeconds, periodSeconds - 1)),
    failureThreshold: p.failureThreshold ?? probeDefaults.failureThreshold,
    successThreshold: p.successThreshold ?? probeDefaults.successThreshold,
    initialDelaySeconds: p.initialDelaySeconds ?? probeDefaults.initialDelaySeconds,
  };
}

/**
 * The default startup probe: the liveness check, given a window of
 * startupFailureThreshold x startupPeriodSeconds before liveness may restart
 * the container. Its timeout stays below its period, the rule the schema
 * enforces on user probes (a probe longer than its period overlaps itself).
 */
function startupWindow(liveness: ResolvedProbe): ResolvedProbe {
  return {
    ...handlerOf(liveness),
    periodSeconds: probeDefaults.startupPeriodSeconds,
    timeoutSeconds: Math.min(liveness.timeoutSeconds, probeDefaults.startupPeriodSeconds - 1),
    failureThreshold: probeDefaults.startupFailureThreshold,
    successThreshold: probeDefaults.successThreshold,
    initialDelaySeconds: probeDefaults.initialDelaySeconds,
  };
}

/** maxMemory defaults to twice the (resolved) memory limit, so IncreaseMemory has room for a few raises and no more. */
function resolveRecovery(r: AgentSpec['recovery'], resources: ResolvedResources): ResolvedRecovery {
  const limit = resources.limits.memory ?? resourceDefaults.limits.memory;
  return {
    restart: {
      initialBackoffSeconds: r?.restart?.initialBackoffSeconds ?? recoveryDefaults.initialBackoffSeconds,
      maxBackoffSeconds: r?.restart?.maxBackoffSeconds ?? recoveryDefaults.maxBackoffSeconds,
      maxAttempts: r?.restart?.maxAttempts ?? recoveryDefaults.maxAttempts,
      windowSeconds: r?.restart?.windowSeconds ?? recoveryDefaults.windowSeconds,
      healthyResetSeconds: r?.restart?.healthyResetSeconds ?? recoveryDefaults.healthyResetSeconds,
    },
    oomKilled: {
      action: r?.oomKilled?.action ?? recoveryDefaults.oomAction,
      maxMemory: r?.oomKilled?.maxMemory !== undefined ? String(r.oomKilled.maxMemory) : formatMemory(2 * parseQuantity(limit)),
      proactive: r?.oomKilled?.proactive ?? false,
    },
    onExhausted: r?.onExhausted ?? recoveryDefaults.onExhausted,
  };
}

function resolveReload(reload: ConfigReload | undefined, firstTcpPort: number | undefined): ResolvedReload {
  const mode = reload?.mode ?? reloadDefaults.mode;
  const out: ResolvedReload = { mode, onFailure: reload?.onFailure ?? reloadDefaults.onFailure };
  if (mode === 'HTTP') {
    out.http = {
      port: reload?.http?.port ?? firstTcpPort,
      path: reload?.http?.path ?? reloadDefaults.path,
      method: reload?.http?.method ?? reloadDefaults.method,
    };
  }
  return out;
}

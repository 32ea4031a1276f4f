// The fleet in each arm and what a fault does to it. Every arm gets the same
// agents and, per fault, the same change: as Agents for the operator arms, as
// the Deployments a user writes by hand for the plain arm. A release fault is
// a change to the pod template that carries its failure with it (the kwok
// stages in hack/kwok/stages.yaml fail pods by annotation), so a rollback or a
// person's revert really removes it and a memory raise really cures an OOM.
import { PatchStrategy, setHeaderOptions, type AppsV1Api, type CoreV1Api, type CustomObjectsApi, type V1Container, type V1EnvVar, type V1Probe } from '@kubernetes/client-node';
import { onRealNode } from '../../test/support/real-node.ts';
import type { Fault, FaultClass } from './schedule.ts';

export type ArmKind = 'plain' | 'operator';

export interface Arm {
  name: string;
  kind: ArmKind;
  namespace: string;
  /** pod label whose value is the agent's name */
  podLabel: string;
  /** spec.recovery of every Agent (operator arms) */
  recovery?: Record<string, unknown>;
  /** operator environment (operator arms) */
  operatorEnv?: Record<string, string>;
  /** spec.failover of every Agent (operator arms) */
  failover?: Record<string, unknown>;
}

/**
 * Where an agent runs: a kwok node, whose stages play the failures its
 * release's annotations ask for, or the real node (--real-node), running the
 * real test agent whose own settings fail it (bench/chaos/real-node.ts).
 */
export type Place = { kind: 'kwok'; node?: string } | { kind: 'real'; image: string };
const kwok: Place = { kind: 'kwok' };

/**
 * With node-loss in the mix, agent i's pods prefer one kwok node in every arm
 * (preferred, not required: a lost node's replacement pods go elsewhere), so
 * losing that node hits the same agents in each arm.
 */
const preferNode = (node: string) => ({
  nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] } }] },
});
/** The pod template fields a place pins (restated in every merge patch of an Agent, which would otherwise drop them). */
const placement = (place: Place): Record<string, unknown> | undefined =>
  place.kind === 'real' ? structuredClone(onRealNode) : place.node ? { affinity: preferNode(place.node) } : undefined;

/** The state volume of an agent with storage: an Agent's spec.storage, a plain Deployment's PVC of this size. */
const storageSize = '1Gi';
const mountPath = '/var/lib/agent';
export const plainClaim = (i: number) => `${agentName(i)}-state`;

export const agentName = (i: number) => `agent-${String(i).padStart(3, '0')}`;
export const agentIndex = (name: string): number | undefined => (/^agent-(\d+)$/.exec(name) ? Number(name.slice(6)) : undefined);

/** What one release changes against the base: the pod template's failure annotations, labels and container. */
export interface Release {
  image?: string;
  memoryLimitMi?: number;
  env?: V1EnvVar[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** a readiness probe (Agent: spec.health.readiness; plain: the container's readinessProbe) */
  readiness?: V1Probe;
}

const image = 'registry.example/agent:1.0';
const memoryLimitMi = 128;
const baseEnv: V1EnvVar[] = [{ name: 'LOG_LEVEL', value: 'info' }];
const fault = (inject: string, extra: Record<string, string> = {}) => ({
  'fault.agent-operator.dev/inject': inject, 'fault.agent-operator.dev/delay': '2s', 'fault.agent-operator.dev/backoff': '10s', ...extra,
});

/** The release a fault's person applies, or undefined for faults that change no spec (transient crash). */
export function releaseFor(cls: FaultClass, id: number): Release | undefined {
  switch (cls) {
    // 48Mi where the agent needs 90Mi: the default maxMemory (twice the limit, 96Mi) has room for one raise
    case 'oom': return { memoryLimitMi: 48, env: [{ name: 'RELEASE', value: `f${id}` }], annotations: fault('OOMKilled', { 'fault.agent-operator.dev/oom-below-mi': '90' }) };
    case 'bad-release': case 'operator-kill': case 'leader-failover':
      return { image: `registry.example/agent:2.${id}`, annotations: fault('CrashLoopBackOff') };
    case 'bad-config': return { env: [{ name: 'AGENT_CONFIG', value: `broken-${id}` }], annotations: fault('CrashLoopBackOff', { 'fault.agent-operator.dev/exit-code': '78' }) };
    // a readiness probe the agent cannot pass (the NotReady stage plays its failures); without a probe a kubelet never marks a running container unready
    case 'strict-probe': return { readiness: strictProbe, annotations: fault('NotReady') };
    // the kubelet stand-in in bench/chaos/kubelet.ts keeps these pods from becoming ready until the cause ends
    case 'secret-missing': return { env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: secretName(id), key: 'token' } } }], labels: { 'chaos.agent-operator.dev/waits-for': `f${id}` } };
    case 'late-dependency': return { env: [{ name: 'UPSTREAM', value: `svc-f${id}` }], labels: { 'chaos.agent-operator.dev/waits-for': `f${id}` } };
    case 'transient-crash': return undefined;
    case 'memory-growth': throw new Error('memory-growth is played on the real node only (bench/chaos/real-node.ts)');
  }
}

const strictProbe: V1Probe = { exec: { command: ['/agent', 'check', '--timeout=1ms'] }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2 };

export const secretName = (id: number) => `chaos-secret-f${id}`;

function container(r: Release = {}, place: Place = kwok, storage = false): V1Container {
  const limit = r.memoryLimitMi ?? memoryLimitMi;
  return {
    name: 'agent', image: r.image ?? (place.kind === 'real' ? place.image : image),
    resources: { requests: { cpu: '10m', memory: `${Math.min(64, limit)}Mi` }, limits: { memory: `${limit}Mi` } },
    env: [...baseEnv, ...(r.env ?? [])],
    ...(r.readiness ? { readinessProbe: r.readiness } : {}),
    ...(storage ? { volumeMounts: [{ name: 'state', mountPath }] } : {}),
  };
}

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface Clients { core: CoreV1Api; apps: AppsV1Api; custom: CustomObjectsApi }

/**
 * Creates agent i in the arm; with storage, a volume for its state: the
 * Agent's spec.storage, or for the plain arm the PVC and Recreate strategy a
 * user writes for a ReadWriteOnce volume (what the operator does too).
 */
export async function createAgent(c: Clients, arm: Arm, i: number, place: Place = kwok, storage = false): Promise<void> {
  const name = agentName(i);
  const pinned = placement(place) ?? {};
  if (arm.kind === 'plain') {
    const labels = { app: name };
    if (storage) {
      await c.core.createNamespacedPersistentVolumeClaim({ namespace: arm.namespace, body: {
        metadata: { name: plainClaim(i) }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: storageSize } } },
      } });
    }
    await c.apps.createNamespacedDeployment({ namespace: arm.namespace, body: {
      metadata: { name, labels },
      spec: {
        replicas: 1, selector: { matchLabels: labels }, ...(storage ? { strategy: { type: 'Recreate' } } : {}),
        template: { metadata: { labels }, spec: {
          ...pinned, containers: [container({}, place, storage)],
          ...(storage ? { volumes: [{ name: 'state', persistentVolumeClaim: { claimName: plainClaim(i) } }] } : {}),
        } },
      },
    } });
    return;
  }
  const { name: _n, ...ctr } = container({}, place);
  await c.custom.createNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', namespace: arm.namespace, plural: 'agents', body: {
    apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name },
    spec: {
      image: ctr.image, resources: ctr.resources, env: ctr.env,
      ...(placement(place) ? { podTemplate: pinned } : {}),
      ...(storage ? { storage: { size: storageSize, mountPath } } : {}),
      ...(arm.recovery ? { recovery: arm.recovery } : {}),
      ...(arm.failover ? { failover: arm.failover } : {}),
    },
  } });
}

/** Applies a release (or, with undefined, the base spec again: the person's revert). */
export async function applyRelease(c: Clients, arm: Arm, i: number, r: Release | undefined, place: Place = kwok, storage = false): Promise<void> {
  const name = agentName(i);
  const ctr = container(r, place, storage && arm.kind === 'plain');
  if (arm.kind === 'plain') {
    const d = await c.apps.readNamespacedDeployment({ name, namespace: arm.namespace });
    const meta = d.spec!.template.metadata ?? {};
    // labels/annotations a release added go (null in a merge patch); the selector's label stays
    const without = (m: Record<string, string> | undefined, keep: Record<string, string>) =>
      Object.fromEntries(Object.keys(m ?? {}).filter((k) => !(k in keep)).map((k) => [k, null]));
    const labels = { ...without(meta.labels, { app: '' }), ...r?.labels, app: name };
    const annotations = { ...without(meta.annotations, {}), ...r?.annotations };
    await c.apps.patchNamespacedDeployment({ name, namespace: arm.namespace, body: { spec: { template: { metadata: { labels, annotations }, spec: { containers: [ctr] } } } } }, mergePatch());
    return;
  }
  // a merge patch: the placement is restated, or null would remove it with the rest
  const pinned = placement(place);
  const podTemplate = pinned
    ? { ...pinned, labels: r?.labels ?? null, annotations: r?.annotations ?? null }
    : r?.labels || r?.annotations ? { labels: r.labels ?? null, annotations: r.annotations ?? null } : null;
  await c.custom.patchNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', namespace: arm.namespace, plural: 'agents', name,
    body: { spec: { image: ctr.image, resources: ctr.resources, env: ctr.env, podTemplate, health: r?.readiness ? { readiness: r.readiness } : null } } }, mergePatch());
}

export type { Fault };

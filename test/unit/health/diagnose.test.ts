import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detect } from '../../../src/health/detect.ts';
import { diagnose, type DiagnoseContext } from '../../../src/health/diagnose.ts';
import {
  dependencyCycleMessage, dependencyMessage, invalidConfigMessage, missingReferenceMessage, probesMissingMessage, type ReferenceSources,
} from '../../../src/health/diagnose-spec.ts';
import type { Failure } from '../../../src/health/failure.ts';
import { pod, pvc, t0, type PodBuilder } from './pod-fixtures.ts';

const spec: ReferenceSources = {
  env: [
    { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'agent-creds', key: 'token' } } },
    { name: 'LEVEL', value: 'debug-value-never-shown' },
    { name: 'SITE', valueFrom: { configMapKeyRef: { name: 'site', key: 'name' } } },
  ],
  envFrom: [{ secretRef: { name: 'bulk' } }],
  config: { layers: [{ inline: { a: 1 } }, { configMap: { name: 'base', key: 'config.yaml' } }] },
};

const one = (b: PodBuilder): Failure => {
  const [f] = detect({ pods: [b.build()], now: new Date(t0), readiness: { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 0 } }).failures;
  assert.ok(f);
  return f;
};
const pvcFailure = (o: Parameters<typeof pvc>[0]): Failure => detect({ pods: [], pvc: pvc(o), now: new Date(t0) }).failures[0]!;
const memory = (o: Partial<NonNullable<DiagnoseContext['memory']>> = {}): DiagnoseContext => ({ memory: { action: 'IncreaseMemory', inForce: '256Mi', max: '1Gi', ...o } });

describe('diagnose names the cause and one fix for each failure class', () => {
  const cases: { name: string; failure: Failure; ctx?: DiagnoseContext; text: string }[] = [
    {
      name: 'OOMKilled, limit raised',
      failure: one(pod('a').oomKilled()), ctx: memory({ raisedTo: '356Mi' }),
      text: 'container agent of pod a was OOMKilled (exit 137) at limit 256Mi; raised to 356Mi (recovery.oomKilled, max 1Gi)',
    },
    {
      name: 'OOMKilled at the cap',
      failure: one(pod('a').oomKilled().memoryLimit('1Gi')), ctx: memory({ inForce: '1Gi' }),
      text: 'container agent of pod a was OOMKilled (exit 137) at limit 1Gi, which is recovery.oomKilled.maxMemory, so restarts follow recovery.restart and then onExhausted: raise maxMemory or make the agent use less memory',
    },
    {
      name: 'OOMKilled at an older limit while the raised one rolls out',
      failure: one(pod('a').oomKilled()), ctx: memory({ inForce: '356Mi' }),
      text: 'container agent of pod a was OOMKilled (exit 137) at limit 256Mi; the limit is already raised to 356Mi (recovery.oomKilled, max 1Gi), and this pod, still at the old limit, goes once a pod at 356Mi is available',
    },
    {
      name: 'OOMKilled, with nothing known of the memory policy',
      failure: one(pod('a').oomKilled()),
      text: 'container agent of pod a was OOMKilled (exit 137) at limit 256Mi: raise resources.limits.memory',
    },
    {
      name: 'OOMKilled with recovery.oomKilled.action None',
      failure: one(pod('a').oomKilled()), ctx: memory({ action: 'None' }),
      text: 'container agent of pod a was OOMKilled (exit 137) at limit 256Mi: raise resources.limits.memory, or set recovery.oomKilled.action: IncreaseMemory',
    },
    {
      name: 'CrashLoopBackOff with an ordinary exit code points at the logs',
      failure: one(pod('a').crashLooping({ restartCount: 4, exitCode: 1 })),
      text: 'container agent of pod a keeps exiting (last exit code 1, 4 restarts) and the kubelet is backing off: read why with kubectl logs a -c agent --previous',
    },
    {
      name: 'a liveness kill names the liveness probe and its fix, not the exit code and the logs',
      failure: detect({ pods: [pod('a').crashLooping({ restartCount: 3, exitCode: 0 }).build()], now: new Date(t0), livenessKills: [{ podUid: 'uid-a', container: 'agent', at: '2026-11-27T10:59:50Z' }] }).failures[0]!,
      text: 'container agent of pod a was killed and restarted by the kubelet because its liveness probe failed (3 restarts; it exited with code 0 on the kill): fix what health.liveness checks, or give it more time if the agent is only slow (health.liveness timeoutSeconds, failureThreshold, or a health.startup window); kubectl describe pod a shows the probe\'s error',
    },
    {
      name: 'a container that just exited says so, without claiming a back-off yet',
      failure: one(pod('a').exited({ exitCode: 2 })),
      text: 'container agent of pod a exited (last exit code 2, 0 restarts): read why with kubectl logs a -c agent --previous',
    },
    {
      name: 'CrashLoopBackOff with exit 127 points at the command',
      failure: one(pod('a').crashLooping({ restartCount: 2, exitCode: 127 })),
      text: 'container agent of pod a keeps exiting (last exit code 127, 2 restarts) and the kubelet is backing off: the command was not found in the image: check spec.command',
    },
    {
      name: 'ErrImagePull',
      failure: one(pod('a').imagePull({ message: 'manifest unknown' })),
      text: 'image registry.example/agent:v9 cannot be pulled (ErrImagePull: manifest unknown): check the tag exists and the registry credentials (imagePullSecrets of podTemplate.serviceAccountName)',
    },
    {
      name: 'ImagePullBackOff',
      failure: one(pod('a').imagePull({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/agent:v9"' })),
      text: 'image registry.example/agent:v9 cannot be pulled (ImagePullBackOff: Back-off pulling image "registry.example/agent:v9"): check the tag exists and the registry credentials (imagePullSecrets of podTemplate.serviceAccountName)',
    },
    {
      name: 'InvalidImageName',
      failure: one(pod('a').imagePull({ reason: 'InvalidImageName', image: 'Registry/Agent', message: 'Failed to apply default image tag' })),
      text: 'image Registry/Agent is not a valid image reference (InvalidImageName: Failed to apply default image tag): fix spec.image',
    },
    {
      name: 'CreateContainerConfigError: a missing Secret key, named with the env var that uses it',
      failure: one(pod('a').configError("couldn't find key token in Secret default/agent-creds")), ctx: { spec },
      text: 'Secret agent-creds has no key token: add the key or fix env[API_TOKEN].valueFrom.secretKeyRef.key',
    },
    {
      name: 'CreateContainerConfigError: a missing ConfigMap',
      failure: one(pod('a').configError('configmap "site" not found')), ctx: { spec },
      text: 'ConfigMap site does not exist: create it or fix env[SITE].valueFrom.configMapKeyRef.name',
    },
    {
      name: 'CreateContainerConfigError: a missing Secret used through envFrom',
      failure: one(pod('a').configError('secret "bulk" not found')), ctx: { spec },
      text: 'Secret bulk does not exist: create it or fix envFrom[0].secretRef.name',
    },
    {
      name: 'CreateContainerConfigError: an image that runs as root under runAsNonRoot',
      failure: one(pod('a').configError('container has runAsNonRoot and image will run as root (pod: "a_default(uid-a)", container: agent)')),
      text: 'image registry.example/agent:v1 runs as root but the pod requires runAsNonRoot: use an image with a non-root USER, or set podTemplate.securityContext (pod.runAsUser to a non-root UID)',
    },
    {
      name: 'CreateContainerConfigError: an image with a named user',
      failure: one(pod('a').configError('container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "a_default(uid-a)", container: agent)')),
      text: "image registry.example/agent:v1 runs as user nobody, not a numeric UID, so runAsNonRoot cannot be verified: set podTemplate.securityContext.pod.runAsUser to that user's UID",
    },
    {
      name: 'ProbeFailure',
      failure: one(pod('a').notReadyFor(95)),
      text: "container agent of pod a is not ready since 2026-11-27T10:58:25Z; the readiness probe allows 30s (3 x 10s + 0s initial delay): fix what health.readiness checks (kubectl describe pod a shows the probe's error)",
    },
    {
      name: 'Unschedulable for memory',
      failure: one(pod('x').unschedulable('0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.')),
      text: 'pod x unschedulable: 0/3 nodes are available: 3 Insufficient memory: lower resources.requests.memory or add capacity',
    },
    {
      name: 'Unschedulable for a taint',
      failure: one(pod('x').unschedulable("0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: infra}.")),
      text: 'pod x unschedulable: 0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: infra}: add a matching toleration in podTemplate.tolerations or remove the taint',
    },
    {
      name: 'PVCPending',
      failure: pvcFailure({ storageClassName: 'fast' }),
      text: "PersistentVolumeClaim agent-data is Pending (storage class fast, size 1Gi): check that storage.storageClassName names a class that can provision it (kubectl describe pvc agent-data shows the provisioner's events)",
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(diagnose(c.failure, c.ctx), c.text));
  }

  it('never includes an env value', () => {
    for (const c of cases) assert.doesNotMatch(diagnose(c.failure, { ...c.ctx, spec }), /debug-value-never-shown/);
  });
});

describe('texts for what the operator sees itself', () => {
  const cases: { name: string; text: string; expect: string }[] = [
    {
      name: 'a missing Secret key names the field that uses it',
      text: missingReferenceMessage([{ kind: 'Secret', name: 'agent-creds', key: 'token' }], spec),
      expect: 'Secret agent-creds has no key token (used by env[API_TOKEN].valueFrom.secretKeyRef): add the key or fix the reference; the rollout is held until then and what runs keeps running',
    },
    {
      name: 'a missing ConfigMap names every field that uses it',
      text: missingReferenceMessage([{ kind: 'ConfigMap', name: 'base' }], spec),
      expect: 'ConfigMap base does not exist (used by config.layers[1].configMap): create it or fix the reference; the rollout is held until then and what runs keeps running',
    },
    {
      name: 'several missing references are listed, the rest counted',
      text: missingReferenceMessage(['a', 'b', 'c', 'd'].map((name) => ({ kind: 'Secret' as const, name }))),
      expect: 'Secret a does not exist; Secret b does not exist; Secret c does not exist; and 1 more: create them or fix the references; the rollout is held until then and what runs keeps running',
    },
    {
      name: 'dependencies not ready say what is awaited',
      text: dependencyMessage([{ kind: 'Agent', name: 'db', state: 'NotReady', detail: 'CrashLoopBackOff' }, { kind: 'Service', name: 'cache', state: 'NotReady' }]),
      expect: 'waiting for spec.dependsOn before starting pods: Agent db is not Ready (CrashLoopBackOff); Service cache has no ready endpoints: bring them up or remove them from spec.dependsOn',
    },
    {
      name: 'a missing dependency',
      text: dependencyMessage([{ kind: 'Agent', name: 'db', state: 'Missing' }]),
      expect: 'waiting for spec.dependsOn before starting pods: Agent db does not exist: bring it up or remove it from spec.dependsOn',
    },
    {
      name: 'a dependency cycle names the loop',
      text: dependencyCycleMessage(['a', 'b', 'c']),
      expect: 'spec.dependsOn forms a cycle (a -> b -> c -> a), so none of these Agents can start: remove one of these dependencies',
    },
    {
      name: 'an invalid config layer names the layer and its source',
      text: invalidConfigMessage([{ layer: 1, configMap: { name: 'base', key: 'config.yaml' }, problem: 'a list, not a mapping' }]),
      expect: 'config.layers[1] (ConfigMap base, key config.yaml) is not a YAML/JSON mapping: a list, not a mapping: make each layer a mapping of keys to values; the rollout is held until then',
    },
    {
      name: 'missing probes',
      text: probesMissingMessage,
      expect: 'no liveness or readiness probe: the spec has no ports and no health section, so a hung agent goes unnoticed: add health.liveness and health.readiness (exec, httpGet or tcpSocket), or a port',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(c.text, c.expect));
});

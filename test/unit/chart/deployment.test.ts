// The operator Deployment the chart renders: Pod Security "restricted", the
// operator's configuration by environment, probes, spreading of replicas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseQuantity } from '../../../src/lib/quantity.ts';
import { one, releaseNamespace, skipWithoutHelm as skip, template, type K8sObject } from './helm.ts';

interface Container {
  name: string; image: string;
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: Probe; readinessProbe: Probe; startupProbe?: Probe;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
}
interface Probe { httpGet: { path: string; port: string | number } }
interface PodSpec {
  automountServiceAccountToken?: boolean; hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean;
  securityContext: Record<string, unknown>; containers: Container[]; initContainers?: Container[];
  volumes?: Record<string, unknown>[]; affinity?: Record<string, unknown>;
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
  terminationGracePeriodSeconds?: number;
}
type Deployment = K8sObject & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

const deployment = (values: Record<string, string | number | boolean> = {}) => one(template(values), 'Deployment') as Deployment;
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));

/** The checks of Pod Security Standards "restricted" (v1.30+) for one pod spec. */
function assertRestricted(pod: PodSpec): void {
  assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, 'no host namespaces');
  const podSc = pod.securityContext as { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  const allowedVolumes = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
  for (const v of pod.volumes ?? []) {
    for (const k of Object.keys(v)) if (k !== 'name') assert.ok(allowedVolumes.has(k), `volume type ${k} is not allowed`);
  }
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const sc = c.securityContext as { privileged?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
    assert.notEqual(sc.privileged, true, `${c.name}: privileged`);
    assert.equal(sc.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation`);
    assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL'], `${c.name}: drops ALL capabilities`);
    assert.ok((c.securityContext.capabilities?.add ?? []).every((a) => a === 'NET_BIND_SERVICE'), `${c.name}: adds capabilities`);
    assert.ok((sc.runAsNonRoot ?? podSc.runAsNonRoot) === true, `${c.name}: runAsNonRoot`);
    assert.notEqual(sc.runAsUser ?? podSc.runAsUser, 0, `${c.name}: runs as root`);
    assert.ok(['RuntimeDefault', 'Localhost'].includes((sc.seccompProfile ?? podSc.seccompProfile)?.type ?? ''), `${c.name}: seccomp`);
  }
}

test('the operator pod meets Pod Security "restricted" with a read-only root filesystem, as uid 65532', { skip }, () => {
  const pod = deployment().spec.template.spec;
  assertRestricted(pod);
  assert.deepEqual(pod.securityContext, {
    runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' },
  });
  const c = pod.containers[0]!;
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.runAsUser, 65532);
  assert.equal(c.securityContext.seccompProfile && (c.securityContext.seccompProfile as { type: string }).type, 'RuntimeDefault');
  assert.equal(pod.automountServiceAccountToken, true, 'the operator needs its token for the API');
});

test('two replicas run with leader election on, configured by environment as the operator reads it', { skip }, () => {
  const d = deployment();
  assert.equal(d.spec.replicas, 2);
  assert.equal(d.metadata.namespace, releaseNamespace);
  const env = envOf(d.spec.template.spec.containers[0]!);
  assert.deepEqual(env, {
    WATCH_NAMESPACES: '',
    LEADER_ELECT: 'true',
    LEADER_ELECTION_NAMESPACE: releaseNamespace,
    LEASE_NAME: 'agent-operator-leader',
    POD_NAME: 'metadata.name',
    POD_NAMESPACE: 'metadata.namespace',
    METRICS_BIND_ADDRESS: ':8080',
    HEALTH_PROBE_BIND_ADDRESS: ':8081',
    WORKERS: '2',
    SHARDS: '1',
    LOG_LEVEL: 'info',
    POD_SECURITY_LEVEL: 'baseline',
    ALLOWED_SERVICE_ACCOUNTS: '',
    NODE_AGENT_HOST_PATHS: '',
    NODE_METRICS: 'false',
    NODE_METRICS_INTERVAL_SECONDS: '15',
  });
  const nodeMetricsEnv = envOf(deployment({ 'nodeMetrics.enabled': true, 'nodeMetrics.intervalSeconds': 5 }).spec.template.spec.containers[0]!);
  assert.equal(nodeMetricsEnv.NODE_METRICS, 'true');
  assert.equal(nodeMetricsEnv.NODE_METRICS_INTERVAL_SECONDS, '5');
  const namespacedEnv = envOf(deployment({ 'watchNamespaces[0]': 'team-a', 'watchNamespaces[1]': 'team-b', workers: 4 }).spec.template.spec.containers[0]!);
  assert.equal(namespacedEnv.WATCH_NAMESPACES, 'team-a,team-b');
  assert.equal(namespacedEnv.WORKERS, '4');
  assert.equal(envOf(deployment({ shards: 3, replicaCount: 3 }).spec.template.spec.containers[0]!).SHARDS, '3');
  const policyEnv = envOf(deployment({ podSecurityLevel: 'restricted', 'allowedServiceAccounts[0]': 'monitoring/collector', 'allowedServiceAccounts[1]': 'team-a/*' }).spec.template.spec.containers[0]!);
  assert.equal(policyEnv.POD_SECURITY_LEVEL, 'restricted');
  assert.equal(policyEnv.ALLOWED_SERVICE_ACCOUNTS, 'monitoring/collector,team-a/*');
  assert.equal(envOf(deployment({ 'nodeAgentHostPaths[0]': '/var/log', 'nodeAgentHostPaths[1]': '/proc' }).spec.template.spec.containers[0]!).NODE_AGENT_HOST_PATHS, '/var/log,/proc');
  assert.equal(envOf(deployment({ 'leaderElection.enabled': false, replicaCount: 1 }).spec.template.spec.containers[0]!).LEADER_ELECT, 'false');
});

test('liveness and readiness probe /healthz and /readyz on the health port, and the metrics port is exposed by the Service', { skip }, () => {
  const objects = template({ 'healthProbe.port': 9091, 'metrics.port': 9090 });
  const c = (one(objects, 'Deployment') as Deployment).spec.template.spec.containers[0]!;
  const ports = Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]));
  assert.deepEqual(ports, { metrics: 9090, health: 9091 });
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
  assert.deepEqual(c.startupProbe?.httpGet, { path: '/healthz', port: 'health' });
  const env = envOf(c);
  assert.equal(env.HEALTH_PROBE_BIND_ADDRESS, ':9091');
  assert.equal(env.METRICS_BIND_ADDRESS, ':9090');
  const svc = one(objects, 'Service') as K8sObject & { spec: { ports: { name: string; targetPort: string }[]; selector: Record<string, string> } };
  assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.targetPort]), [['metrics', 'metrics']]);
});

test('the container has requests and a memory limit, and shutdown has time to drain reconciles', { skip }, () => {
  const pod = deployment().spec.template.spec;
  const r = pod.containers[0]!.resources;
  assert.ok(r.requests?.cpu && r.requests.memory && r.limits?.memory);
  assert.ok((pod.terminationGracePeriodSeconds ?? 30) > 30, 'the operator drains for up to 30 s on SIGTERM');
});

test('the replicas are spread over nodes by default, with selectors that match the pods', { skip }, () => {
  const d = deployment();
  const podLabels = d.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(podLabels[k], v);
  const spread = d.spec.template.spec.topologySpreadConstraints ?? [];
  assert.ok(spread.some((t) => t.topologyKey === 'kubernetes.io/hostname'));
  for (const t of spread) for (const [k, v] of Object.entries(t.labelSelector.matchLabels)) assert.equal(podLabels[k], v);
  const anti = JSON.stringify(d.spec.template.spec.affinity);
  assert.match(anti, /podAntiAffinity/);
  assert.match(anti, /kubernetes\.io\/hostname/);
});

test('the image is the chart appVersion by default, a tag or a digest when given', { skip }, () => {
  const image = (v: Record<string, string>) => deployment(v).spec.template.spec.containers[0]!.image;
  assert.equal(image({}), 'ghcr.io/agent-operator/agent-operator:0.1.0');
  assert.equal(image({ 'image.repository': 'registry.example.com/ops/agent-operator', 'image.tag': '0.1.1' }), 'registry.example.com/ops/agent-operator:0.1.1');
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.equal(image({ 'image.digest': digest }), `ghcr.io/agent-operator/agent-operator@${digest}`);
});

test('the default memory limit covers the benchmark\'s peak at 1,000 Agents (README) with 30 % headroom, and the request its idle figure', { skip }, () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
  const row = /\| operator RSS \| \*\*(\d+) MiB\*\* idle after convergence, (\d+) MiB peak/.exec(readme);
  assert.ok(row, 'README Benchmarks has the operator RSS row');
  const [idle, peak] = [Number(row[1]) * 2 ** 20, Number(row[2]) * 2 ** 20];
  const { resources } = deployment().spec.template.spec.containers[0]!;
  assert.ok(parseQuantity(resources.limits!['memory']!) >= peak * 1.3, `limit ${resources.limits!['memory']} below 1.3 x the ${row[2]} MiB peak`);
  assert.ok(parseQuantity(resources.requests!['memory']!) >= idle, `request ${resources.requests!['memory']} below the ${row[1]} MiB idle figure`);
});

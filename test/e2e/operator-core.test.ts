// The operator core end to end on a real apiserver: the examples reconcile to
// exactly the expected objects, Secret rotation rolls pods once, hand edits
// are undone, deletion cleans up but keeps state, and what the schema cannot
// judge becomes a condition.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { useCluster, repoRoot } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { agentExists, apply, condition, getAgent, waitForCondition, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';
import { exportedNames, metricNames } from '../support/promql.ts';
import { readFileSync } from 'node:fs';

const cluster = useCluster();
let ns: string;
let op: RunningOperator;

async function deployment(name: string): Promise<V1Deployment> {
  return cluster().apps.readNamespacedDeployment({ name, namespace: ns });
}
async function replicaSetCount(name: string): Promise<number> {
  const list = await cluster().apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `agent-operator.dev/agent=${name}` });
  return list.items.length;
}
async function reconciles(): Promise<number> {
  return op.counter('controller_runtime_reconcile_total', { controller: 'agent' });
}
/**
 * Asks for one more reconcile of Agent `name` and waits until the operator has
 * made it, so "nothing changed" is a result, not a race. An annotation asks:
 * nothing periodic reconciles an Agent that waits on nothing (issue 13).
 */
async function reconciledAgain(name: string): Promise<void> {
  const start = await reconciles();
  const nudge = await cluster().kubectl(['annotate', '-n', ns, `agents.agent-operator.dev/${name}`, `e2e.agent-operator.dev/nudge=${Date.now()}`, '--overwrite']);
  assert.equal(nudge.code, 0, nudge.stderr);
  await eventually(async () => (await reconciles()) >= start + 1, { message: `a reconcile of ${name} after the nudge` });
}

describe('the operator core', () => {
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'core');
    op = await startOperator(cluster(), { namespaces: [ns] });
  });

  it('reconciles the examples to Ready Agents with exactly the expected objects', async () => {
    await apply(cluster(), ns, { file: join(repoRoot, 'examples/01-log-forwarder.yaml') });
    await apply(cluster(), ns, { file: join(repoRoot, 'examples/02-metrics-collector.yaml') });
    const forwarder = await waitReady(cluster(), ns, 'log-forwarder');
    const collector = await waitReady(cluster(), ns, 'metrics-collector');
    assert.equal(forwarder.status?.observedGeneration, forwarder.metadata.generation);
    assert.equal(collector.status?.readyText, '2/2');

    const d = await deployment('log-forwarder');
    const owner = d.metadata?.ownerReferences?.[0];
    assert.deepEqual({ kind: owner?.kind, name: owner?.name, controller: owner?.controller, block: owner?.blockOwnerDeletion },
      { kind: 'Agent', name: 'log-forwarder', controller: true, block: true });
    assert.equal(d.spec?.strategy?.type, 'Recreate', 'ReadWriteOnce storage forces Recreate');
    assert.equal(d.spec?.replicas, 1);
    const pod = d.spec!.template.spec!;
    assert.equal(pod.automountServiceAccountToken, false);
    // The state volume belongs to the agent's group: a new volume is root-owned and the agent runs as non-root.
    assert.deepEqual(plain(pod.securityContext), { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch' });
    const c = pod.containers[0]!;
    assert.equal(c.name, 'agent');
    assert.equal(c.image, 'fluent/fluent-bit:3.2');
    assert.deepEqual(plain(c.resources), { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    assert.deepEqual(plain(c.env), [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'log-forwarder-credentials', key: 'token' } } }]);
    assert.equal(c.livenessProbe?.httpGet?.path, '/api/v1/health');
    assert.equal(c.livenessProbe?.httpGet?.port, 2020);
    assert.equal(c.readinessProbe?.periodSeconds, 10);
    assert.equal(c.readinessProbe?.timeoutSeconds, 5);
    assert.equal(c.startupProbe?.failureThreshold, 30, 'a startup window instead of a long initial delay');
    assert.deepEqual(plain(c.securityContext), { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(c.volumeMounts?.map((m) => [m.name, m.mountPath, m.readOnly ?? false]).sort(),
      [['agent-config', '/etc/agent', true], ['agent-state', '/var/lib/agent', false]]);
    const configName = pod.volumes?.find((v) => v.name === 'agent-config')?.configMap?.name ?? '';
    assert.match(configName, /^log-forwarder-config-[0-9a-f]{10}$/, 'the rendered config is named by its content');
    assert.equal(pod.volumes?.find((v) => v.name === 'agent-state')?.persistentVolumeClaim?.claimName, 'log-forwarder-state');

    const cm = await cluster().core.readNamespacedConfigMap({ name: configName, namespace: ns });
    assert.equal(cm.immutable, true);
    // base layer from the ConfigMap, then the inline override: later wins key by key.
    assert.equal(cm.data?.['fluent-bit.yaml'], [
      'service:', '  flush_seconds: 5', '  log_level: debug',
      'output:', '  host: logs.example.internal', '  port: 443', '  retry_limit: 10', '',
    ].join('\n'));

    const svc = await cluster().core.readNamespacedService({ name: 'log-forwarder', namespace: ns });
    assert.deepEqual(svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['http', 2020, 'http']]);
    const pvc = await cluster().core.readNamespacedPersistentVolumeClaim({ name: 'log-forwarder-state', namespace: ns });
    assert.equal(pvc.spec?.resources?.requests?.storage, '1Gi');
    assert.equal(pvc.metadata?.ownerReferences, undefined, 'a retained PVC must not be garbage-collected with the Agent');

    const cd = await deployment('metrics-collector');
    assert.equal(cd.spec?.replicas, 2);
    assert.equal(cd.spec?.strategy?.type, 'RollingUpdate');
    const pdb = await cluster().kubectl(['get', 'pdb', 'metrics-collector', '-n', ns, '-o', 'jsonpath={.spec.minAvailable}']);
    assert.equal(pdb.stdout, '1');
    assert.equal(condition(collector, 'DependenciesReady')?.status, 'True');
  });

  it('rolls the pods once when a referenced Secret key rotates, and not for unrelated changes', async () => {
    const before = (await getAgent(cluster(), ns, 'log-forwarder')).status!.revision!;
    const rsBefore = await replicaSetCount('log-forwarder');

    // An unrelated key in the same Secret, and an unrelated Secret: no roll.
    await cluster().core.patchNamespacedSecret(
      { name: 'log-forwarder-credentials', namespace: ns, body: { stringData: { unused: 'x' } } }, mergePatch());
    await cluster().core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'unrelated' }, stringData: { token: 'y' } } });
    await reconciledAgain('log-forwarder');
    assert.equal((await getAgent(cluster(), ns, 'log-forwarder')).status?.revision, before);
    assert.equal(await replicaSetCount('log-forwarder'), rsBefore);

    // The referenced key: a new revision, rolled out once.
    await cluster().core.patchNamespacedSecret(
      { name: 'log-forwarder-credentials', namespace: ns, body: { stringData: { token: 'rotated-token' } } }, mergePatch());
    const rolled = await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'log-forwarder');
      assert.notEqual(a.status?.revision, before);
      assert.equal(condition(a, 'Ready')?.status, 'True');
      return a;
    }, { timeoutMs: 90_000, message: 'a new revision after the rotation, Ready again' });
    assert.equal(await replicaSetCount('log-forwarder'), rsBefore + 1);
    const d = await deployment('log-forwarder');
    assert.equal(d.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], rolled.status?.revision);
    // Past the healthy-revision timer (the last reconcile the rollout asks for by itself), and one more.
    await eventually(async () => assert.equal((await getAgent(cluster(), ns, 'log-forwarder')).status?.lastHealthyRevision, rolled.status?.revision), { message: 'the new revision recorded healthy' });
    await reconciledAgain('log-forwarder');
    assert.equal(await replicaSetCount('log-forwarder'), rsBefore + 1, 'rolled exactly once');
    // The secret value is in no log line.
    assert.ok(!JSON.stringify(op.logs()).includes('rotated-token'));
  });

  it('restores a Deployment deleted by hand and undoes a hand edit', async () => {
    const uid = (await deployment('log-forwarder')).metadata?.uid;
    await cluster().apps.deleteNamespacedDeployment({ name: 'log-forwarder', namespace: ns });
    await eventually(async () => {
      const d = await deployment('log-forwarder');
      assert.notEqual(d.metadata?.uid, uid);
    }, { message: 'a new Deployment' });
    await waitReady(cluster(), ns, 'log-forwarder');

    const edit = await cluster().kubectl(['set', 'image', '-n', ns, 'deployment/log-forwarder', 'agent=evil/image:latest']);
    assert.equal(edit.code, 0, edit.stderr);
    await eventually(async () => {
      const d = await deployment('log-forwarder');
      assert.equal(d.spec?.template.spec?.containers[0]?.image, 'fluent/fluent-bit:3.2');
    }, { message: 'the image set back to the spec' });
  });

  it('turns what only the operator can judge into a condition naming the object and the fix', async () => {
    await cluster().core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' }, data: { 'agent.yaml': 'level: info\n' } } });
    const yaml = `apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: needs-things }
spec:
  image: example.com/agent:1
  env:
    - name: DB_PASSWORD
      valueFrom: { secretKeyRef: { name: db-credentials, key: password } }
  config:
    layers:
      - configMap: { name: settings, key: agent.yaml }
`;
    await apply(cluster(), ns, { yaml });
    const missing = await waitForCondition(cluster(), ns, 'needs-things', 'Ready', 'False', { reason: 'SecretNotFound' });
    assert.match(condition(missing, 'Ready')!.message, /Secret db-credentials does not exist/);
    assert.match(condition(missing, 'Ready')!.message, /env\[DB_PASSWORD\]/);
    await assert.rejects(deployment('needs-things'), { code: 404 }, 'no Deployment while a required Secret is missing');

    await cluster().core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'db-credentials' }, stringData: { password: 's3cret-value' } } });
    const running = await waitReady(cluster(), ns, 'needs-things');

    // A layer that is not a mapping holds the rollout: what runs keeps running.
    await cluster().core.replaceNamespacedConfigMap({ name: 'settings', namespace: ns, body: { metadata: { name: 'settings' }, data: { 'agent.yaml': '- not\n- a mapping\n' } } });
    const invalid = await waitForCondition(cluster(), ns, 'needs-things', 'Stalled', 'True', { reason: 'InvalidConfig' });
    assert.match(condition(invalid, 'Stalled')!.message, /settings/);
    assert.match(condition(invalid, 'Stalled')!.message, /agent\.yaml/);
    const held = await deployment('needs-things');
    assert.equal(held.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], running.status?.revision, 'the running revision stays');
    assert.equal(held.status?.availableReplicas, 1);

    await cluster().core.replaceNamespacedConfigMap({ name: 'settings', namespace: ns, body: { metadata: { name: 'settings' }, data: { 'agent.yaml': 'level: debug\n' } } });
    await waitReady(cluster(), ns, 'needs-things');
    assert.ok(op.process.exitCode === null, 'the operator is still running');
    assert.ok(!JSON.stringify(op.logs()).includes('s3cret-value'));
  });

  it('deleting an Agent removes its Deployment, Service and ConfigMap and keeps its PVC unless told otherwise', async () => {
    const retained = `apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: keeper }
spec:
  image: example.com/agent:1
  ports: [{ name: http, containerPort: 8080 }]
  config: { layers: [{ inline: { a: 1 } }] }
  storage: { size: 1Gi }
---
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: dropper }
spec:
  image: example.com/agent:1
  storage: { size: 1Gi, retainOnDelete: false }
`;
    await apply(cluster(), ns, { yaml: retained });
    await waitReady(cluster(), ns, 'keeper');
    await waitReady(cluster(), ns, 'dropper');
    for (const name of ['keeper', 'dropper']) {
      const res = await cluster().kubectl(['delete', 'agent', name, '-n', ns, '--wait=true']);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(await agentExists(cluster(), ns, name), false);
    }
    const gone = async (read: () => Promise<unknown>) => read().then(() => false, (e: { code?: number }) => e.code === 404);
    await eventually(async () => {
      assert.ok(await gone(() => deployment('keeper')), 'Deployment');
      assert.ok(await gone(() => cluster().core.readNamespacedService({ name: 'keeper', namespace: ns })), 'Service');
      const configMaps = await cluster().core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'agent-operator.dev/agent=keeper' });
      assert.deepEqual(configMaps.items.map((c) => c.metadata?.name), [], 'ConfigMaps');
      assert.ok(await gone(() => cluster().core.readNamespacedPersistentVolumeClaim({ name: 'dropper-state', namespace: ns })), 'PVC with retainOnDelete: false');
    }, { message: 'owned objects garbage-collected' });
    const kept = await cluster().core.readNamespacedPersistentVolumeClaim({ name: 'keeper-state', namespace: ns });
    assert.equal(kept.metadata?.deletionTimestamp, undefined, 'the retained PVC keeps the agent state');
  });

  it('exports every metric the Grafana dashboard reads (and so every one the alerts read)', async () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'dashboards/agent-operator.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exported = exportedNames(await op.metrics());
    const missing = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr)
      .filter((m) => !exported.has(m)).map((m) => `${p.title}: ${m}`)));
    assert.deepEqual(missing, [], 'dashboard queries read metrics the operator does not export');
  });
});

/** client-node returns model class instances; compare their JSON. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null));
}

function mergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

// spec.config.reload on the real node (a real kubelet, containerd and runc):
// one layer edit, made to three Agents that differ only in their reload mode,
// reaches a new process (Restart) or the running one (InPlace: the agent
// watches its file; HTTP: the operator calls its reload endpoint) with no
// restart, no new container and no new ReplicaSet. The time from the edit to
// the process reporting the new config (the test agent's configLoadedAt) is
// printed for each mode (README "Timings"). Then spec.config.validate: a layer
// the agent would refuse stops the new pod in its init container, the old
// pod never stops serving, and the rollback names the validator's words.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { apply, condition, getAgent, waitConverged, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';
import { agentInfo, onRealNode, readyPods, realNodeImages, requireRealNode, sha256, type AgentInfo } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
const modes = ['Restart', 'InPlace', 'HTTP'] as const;
type Mode = (typeof modes)[number];
const nameOf = (mode: Mode) => `reload-${mode.toLowerCase()}`;
let ns: string;

function layer(mode: Mode, text: string): string {
  return `
apiVersion: v1
kind: ConfigMap
metadata: { name: ${nameOf(mode)}-layer }
data:
  layer.yaml: ${JSON.stringify(text)}
`;
}

function agentYaml(mode: Mode, image: string): string {
  const reload = mode === 'HTTP' ? '{ mode: HTTP, http: { path: /reload } }' : `{ mode: ${mode} }`;
  return `
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: ${nameOf(mode)} }
spec:
  image: ${image}
  ports: [{ name: http, containerPort: 8080 }]
  env: ${mode === 'InPlace' ? '[{ name: AGENT_CONFIG_WATCH, value: 100ms }]' : '[]'}
  config:
    layers:
      - configMap: { name: ${nameOf(mode)}-layer, key: layer.yaml }
      - inline: { mode: ${mode} }
    reload: ${reload}
    ${mode === 'Restart' ? 'validate: { command: [/agent, check, $(CONFIG_FILE)] }' : ''}
  podTemplate: ${JSON.stringify(onRealNode)}
`;
}

interface Seen { pod: V1Pod; info: AgentInfo }

async function onlyPod(mode: Mode): Promise<Seen> {
  const pods = await readyPods(cluster(), ns, nameOf(mode));
  assert.equal(pods.length, 1, `one Ready pod of ${nameOf(mode)}`);
  return { pod: pods[0]!, info: await agentInfo(cluster(), ns, pods[0]!.metadata!.name!) };
}

const container = (p: V1Pod) => p.status?.containerStatuses?.find((c) => c.name === 'agent');

describe('config reload modes on the real node', () => {
  let image: string;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'real-node-reload');
    await startOperator(cluster(), { namespaces: [ns] });
    try { image = realNodeImages(cluster()).agent; } catch { /* no real node: each test skips */ }
  });

  it('a layer edit reaches the running agent without a restart with InPlace and HTTP, and by a new pod with Restart', { timeout: 240_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    await apply(cluster(), ns, { yaml: modes.map((m) => layer(m, 'level: info\n') + '---' + agentYaml(m, image)).join('---') });
    await Promise.all(modes.map((m) => waitReady(cluster(), ns, nameOf(m), 120_000)));
    const first = Object.fromEntries(await Promise.all(modes.map(async (m) => [m, await onlyPod(m)] as const))) as Record<Mode, Seen>;
    for (const m of modes) assert.equal(first[m].info.config.values['level'], 'info');
    const replicaSets = async (m: Mode) => (await cluster().apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${nameOf(m)}` })).items.length;

    // The same edit for all three, each timed from just before its own apply.
    const editedAt = {} as Record<Mode, number>;
    for (const m of modes) {
      editedAt[m] = Date.now();
      await apply(cluster(), ns, { yaml: layer(m, 'level: debug\n') });
    }
    const loaded = Object.fromEntries(await Promise.all(modes.map(async (m) => {
      const seen = await eventually(async () => {
        const pods = await readyPods(cluster(), ns, nameOf(m));
        for (const pod of pods) {
          const info = await agentInfo(cluster(), ns, pod.metadata!.name!).catch(() => undefined);
          if (info?.config.values['level'] === 'debug') return { pod, info };
        }
        return false;
      }, { timeoutMs: 120_000, intervalMs: 100, message: `${nameOf(m)} reporting level debug` });
      return [m, seen] as const;
    }))) as Record<Mode, Seen>;

    const seconds = (m: Mode) => (Date.parse(loaded[m].info.configLoadedAt) - editedAt[m]) / 1000;
    t.diagnostic(`edit -> loaded: ${modes.map((m) => `${m} ${seconds(m).toFixed(2)} s`).join(', ')}`);

    assert.notEqual(loaded.Restart.pod.metadata?.uid, first.Restart.pod.metadata?.uid, 'Restart: a new pod');
    assert.equal(await replicaSets('Restart'), 2, 'Restart: a new ReplicaSet');
    for (const m of ['InPlace', 'HTTP'] as const) {
      const before = first[m]; const after = loaded[m];
      assert.equal(after.pod.metadata?.uid, before.pod.metadata?.uid, `${m}: the same pod`);
      assert.equal(container(after.pod)?.containerID, container(before.pod)?.containerID, `${m}: the same container`);
      assert.equal(container(after.pod)?.restartCount, container(before.pod)?.restartCount, `${m}: no restart`);
      assert.equal(after.info.pid, before.info.pid);
      assert.equal(after.info.startedAt, before.info.startedAt, `${m}: the same process`);
      assert.equal(after.info.configLoads, 2, `${m}: loaded once more, in place`);
      assert.equal(await replicaSets(m), 1, `${m}: no new ReplicaSet`);
    }
    // What the operator says: each pod was given the hash the process reports; HTTP: its reload call succeeded.
    await Promise.all((['InPlace', 'HTTP'] as const).map((m) => eventually(async () => {
      const a = await getAgent(cluster(), ns, nameOf(m));
      assert.equal(a.status?.config?.hash, loaded[m].info.config.sha256);
      assert.deepEqual(a.status?.config?.pods, [{ name: loaded[m].pod.metadata!.name!, hash: loaded[m].info.config.sha256, ...(m === 'HTTP' ? { reload: 'Succeeded' } : {}) }]);
      assert.equal(condition(a, 'ConfigReloaded')?.status, 'True');
      assert.equal(a.status?.revision, a.status?.lastHealthyRevision, 'the revision did not move');
    }, { timeoutMs: 30_000, message: `${nameOf(m)} status.config` })));
    assert.equal(loaded.HTTP.info.config.sha256, sha256((await cluster().core.readNamespacedConfigMap({ namespace: ns, name: 'reload-http-config' })).data!['config.yaml']!));
  });

  it('Restart with validate: a layer the agent would refuse stops the new pod in its init container, the running pod keeps serving, status names the validator\'s words and the release is rolled back; without the pod annotation the file arrives only with the kubelet\'s periodic sync', { timeout: 180_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    await Promise.all([refusedByValidation(), withoutTheAnnotation(t)]);
  });
});

/**
 * The InPlace Agent made Unmanaged, and its ConfigMap edited by hand: no pod
 * annotation, so the file reaches the process only when the kubelet syncs
 * the pod on its own (syncFrequency, 10 s on the real node, 1 min by default).
 */
async function withoutTheAnnotation(t: { diagnostic(message: string): void }): Promise<void> {
  await cluster().custom.patchNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', plural: 'agents', namespace: ns, name: nameOf('InPlace'), body: { spec: { managementState: 'Unmanaged' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await eventually(async () => assert.equal(condition(await getAgent(cluster(), ns, nameOf('InPlace')), 'Reconciling')?.reason, 'Unmanaged'), { timeoutMs: 30_000, message: 'Unmanaged' });
  const before = await onlyPod('InPlace');
  const editedAt = Date.now();
  await cluster().core.patchNamespacedConfigMap({ namespace: ns, name: 'reload-inplace-config', body: { data: { 'config.yaml': 'level: warn\n' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const info = await eventually(async () => {
    const i = await agentInfo(cluster(), ns, before.pod.metadata!.name!);
    return i.config.values['level'] === 'warn' ? i : false;
  }, { timeoutMs: 150_000, intervalMs: 100, message: 'the hand-edited file in the process' });
  t.diagnostic(`edit -> loaded without the pod annotation (the kubelet's own sync): ${((Date.parse(info.configLoadedAt) - editedAt) / 1000).toFixed(2)} s`);
}

async function refusedByValidation(): Promise<void> {
  // A rollback needs a healthy revision to go back to: the edited one, once it has run healthy.
  await waitConverged(cluster(), ns, nameOf('Restart'));
  const healthy = (await getAgent(cluster(), ns, nameOf('Restart'))).status?.revision;
  const serving = await onlyPod('Restart');
  await apply(cluster(), ns, { yaml: layer('Restart', 'level: debug\nagent: { reject: no such output plugin }\n') });
  const agent = await eventually(async () => {
    const a = await getAgent(cluster(), ns, nameOf('Restart'));
    assert.equal(a.status?.lastFailure?.container, 'validate-config', `not reported yet: ${JSON.stringify(a.status?.lastFailure)}`);
    return a;
  }, { timeoutMs: 90_000, intervalMs: 500, message: 'the validation failure in status' });
  assert.match(agent.status?.lastFailure?.lastWords ?? '', /config rejected: no such output plugin/);
  assert.equal(agent.status?.lastFailure?.exitCode, 78);
  assert.equal(agent.status?.lastFailure?.container, 'validate-config');
  const rolled = await eventually(async () => {
    const a = await getAgent(cluster(), ns, nameOf('Restart'));
    assert.equal(a.status?.recovery?.rolledBackTo, healthy, `not rolled back yet: ${JSON.stringify(a.status?.recovery)}`);
    return a;
  }, { timeoutMs: 60_000, intervalMs: 500, message: 'the rollback to the healthy revision' });
  assert.equal(condition(rolled, 'Ready')?.reason, 'RolledBack');
  // The pod that ran before the edit never stopped: the refused file never reached it.
  const still = await onlyPod('Restart');
  assert.equal(still.pod.metadata?.uid, serving.pod.metadata?.uid);
  assert.equal(container(still.pod)?.restartCount, container(serving.pod)?.restartCount);
  assert.equal(still.info.config.values['level'], 'debug');
  assert.equal(still.info.config.values['agent.reject'], undefined);
}

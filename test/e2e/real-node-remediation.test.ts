// Remediation against a real kubelet (issue 17): with the kubelet's default
// crash-loop back-off, a release that crashes at start is rolled back to the
// last healthy revision within seconds, never with zero ready pods under
// RollingUpdate, and without Healthy/Degraded flapping; a readiness failure
// is restarted away; a liveness kill is diagnosed as one; a release whose
// only change is a config the agent rejects is rolled back onto the previous
// config, which the agent process itself reports (issue 10). kwok hid all of
// this: its faulted pods become Ready at once. The scenarios run side by side
// (each its own Agent), after one shared wait for their first revisions to
// count as healthy (HEALTHY_AFTER_SECONDS, 10 s for the e2e operators).
// Beside them, spec.config.reload (issue 10): one layer edit, made to three
// Agents that differ only in their reload mode, reaches a new process
// (Restart) or the running one (InPlace: the agent watches its file; HTTP:
// the operator calls its reload endpoint) with no restart, no new container
// and no new ReplicaSet; the time from the edit to the process reporting the
// new config (the test agent's configLoadedAt) is printed per mode (README).
// Then spec.config.validate: a layer the agent would refuse stops the new pod
// in its init container, the serving pod never stops, and it is rolled back.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { agentEvents, apply, condition, getAgent, patchAgentSpec, waitConverged, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';
import { auditWrites } from '../support/audit.ts';
import { watchAll } from '../support/watch.ts';
import { agentInfo, onRealNode, readyPods, realNodeImages, requireRealNode, sha256, type AgentInfo } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
let ns: string;
let skipped = false;

/**
 * Whether a test can run. Without the real node it is skipped, or failed where
 * this machine can run one, as requireRealNode decides: never an early return,
 * which reads as passed.
 */
async function setUpOnRealNode(t: TestContext): Promise<boolean> {
  if (!(await requireRealNode(t, cluster()))) return false;
  assert.ok(!skipped, 'the real node was missing when the file set up and is Ready now: nothing was set up');
  return true;
}

const watches: { stop(): void }[] = [];
after(() => { for (const w of watches) w.stop(); });

const httpProbes = {
  liveness: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 2 },
  readiness: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 2 },
};

function agentYaml(name: string, image: string, replicas: number, env: Record<string, string> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name },
    spec: {
      ...extra,
      image, replicas, ports: [{ name: 'http', containerPort: 8080 }],
      env: Object.entries({ RELEASE: '1.0', ...env }).map(([k, v]) => ({ name: k, value: v })),
      health: httpProbes,
      recovery: { onExhausted: 'Rollback' },
      podTemplate: onRealNode,
    },
  });
}

function configLayer(layer: Record<string, unknown>): Record<string, unknown> {
  return { config: { layers: [{ inline: layer }] } };
}

/** Ready pods of an Agent over time, from a pod watch: the lowest count seen after `since`. */
function readyFloor(name: string) {
  const ready = new Map<string, boolean>();
  let floor = Number.POSITIVE_INFINITY;
  let watching = false;
  watches.push(watchAll<V1Pod>(cluster().kc, `/api/v1/namespaces/${ns}/pods`, (p) => {
    if (p.metadata?.labels?.['app.kubernetes.io/instance'] !== name) return;
    ready.set(p.metadata.uid!, !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (watching) floor = Math.min(floor, [...ready.values()].filter(Boolean).length);
  }));
  return { start() { watching = true; floor = [...ready.values()].filter(Boolean).length; }, floor: () => floor };
}

async function healthyRecorded(name: string): Promise<string> {
  return eventually(async () => {
    const a = await getAgent(cluster(), ns, name);
    assert.ok(a.status?.revision && a.status.lastHealthyRevision === a.status.revision, `${name}: revision ${a.status?.revision} not yet recorded healthy (${a.status?.lastHealthyRevision})`);
    return a.status.revision;
  }, { timeoutMs: 180_000, message: `${name}'s first revision recorded healthy` });
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;

describe('remediation on the real kubelet', { concurrency: true }, () => {
  const good = new Map<string, string>();
  const floors = new Map<string, ReturnType<typeof readyFloor>>();

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'real-node-remediation');
    const node = await cluster().core.readNode({ name: 'real-node' }).catch(() => undefined);
    if (!node) { skipped = true; return; }
    await startOperator(cluster(), { namespaces: [ns] });
    const image = realNodeImages(cluster()).agent;
    // The reload Agents come up beside the others; their scenario waits for them itself.
    await apply(cluster(), ns, { yaml: [...reloadModes.map((m) => [m, reloadName(m)] as const), ['Restart', validated] as const].flatMap(([m, n]) => [reloadLayer(n, 'level: info\n'), reloadAgentYaml(m, image, n)]).join('\n---\n') });
    const agents = { 'bad-release': 2, 'late-crash': 2, unready: 1, 'liveness-kill': 1, 'bad-config': 2 };
    for (const [name, replicas] of Object.entries(agents)) {
      await apply(cluster(), ns, { yaml: agentYaml(name, image, replicas, {}, name === 'bad-config' ? configLayer({ level: 'info' }) : {}) });
      floors.set(name, readyFloor(name));
    }
    await Promise.all(Object.keys(agents).map(async (name) => {
      await waitReady(cluster(), ns, name, 120_000);
      good.set(name, await healthyRecorded(name));
    }));
  }, { timeout: 300_000 });

  it('a release whose only change is a config the agent rejects is rolled back, and the agent reads the previous config again', { timeout: 240_000 }, async (t) => {
    if (!(await setUpOnRealNode(t))) return;
    const name = 'bad-config';
    const before = await readyPods(cluster(), ns, name);
    const v1Info = await agentInfo(cluster(), ns, before[0]!.metadata!.name!);
    assert.equal(v1Info.config.values['level'], 'info');
    const released = Date.now();
    // The test agent exits 78 (EX_CONFIG) on a config with agent.reject, as a real agent refuses one it cannot use.
    await patchAgentSpec(cluster(), ns, name, configLayer({ level: 'debug', agent: { reject: 'unknown output plugin' } }));
    await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.recovery?.rolledBackTo, good.get(name), 'rolled back to the healthy revision');
      assert.equal((await readyPods(cluster(), ns, name)).length, 2);
    }, { timeoutMs: 180_000, message: 'the healthy revision serving again with 2 Ready pods' });
    t.diagnostic(`config-only release -> rolled back and 2/2 Ready: ${seconds(released)} s`);
    // What the process loaded, from the process: the previous config, byte for byte.
    for (const pod of await readyPods(cluster(), ns, name)) {
      const info = await agentInfo(cluster(), ns, pod.metadata!.name!);
      assert.equal(info.config.sha256, v1Info.config.sha256, `${pod.metadata!.name} reads the previous config`);
      assert.equal(info.config.values['level'], 'info');
    }
  });

  it('a release that crashes at start is rolled back at once, the old pods serving throughout', { timeout: 240_000 }, async (t) => {
    if (!(await setUpOnRealNode(t))) return;
    const name = 'bad-release';
    floors.get(name)!.start();
    const v1Pods = new Set((await readyPods(cluster(), ns, name)).map((p) => p.metadata!.uid));
    const released = Date.now();
    await patchAgentSpec(cluster(), ns, name, { env: [{ name: 'RELEASE', value: '1.1' }, { name: 'AGENT_EXIT_CODE', value: '1' }] });
    const agent = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.recovery?.rolledBackTo, good.get(name), 'rolled back to the healthy revision');
      assert.equal((await readyPods(cluster(), ns, name)).length, 2);
      assert.equal(a.status?.readyReplicas, 2);
      return a;
    }, { timeoutMs: 180_000, message: 'the healthy revision serving again with 2 Ready pods' });
    const mttr = seconds(released);
    t.diagnostic(`release -> rolled back and 2/2 Ready: ${mttr} s`);
    // the goal is 15 s and the issue's bar 30 s; the bound here only catches
    // waiting out a progress deadline (600 s), the measured figure is in the README
    assert.ok(mttr < 90, `rolled back in ${mttr} s`);
    assert.ok(floors.get(name)!.floor() >= 1, `ready pods fell to ${floors.get(name)!.floor()} during the bad release`);
    assert.match(agent.status?.conditions?.find((c) => c.type === 'Degraded')?.message ?? '', /roll/i);
    // the kubelet's back-off and the operator's schedule do not fight: the
    // healthy v1 pods served throughout and the operator deleted no pod (each
    // deletion would reset the kubelet's back-off and raise the crash rate)
    const serving = new Set((await readyPods(cluster(), ns, name)).map((p) => p.metadata!.uid));
    assert.deepEqual(serving, v1Pods, 'the v1 pods that served before the release serve after the rollback');
    const deletions = await auditWrites(cluster(), { verbs: ['delete'], resource: 'pods', namespace: ns, userAgent: 'agent-operator/', since: new Date(released) });
    if (deletions) assert.equal(deletions.filter((d) => d.objectRef?.name?.startsWith(`${name}-`)).length, 0, 'no operator pod deletions for a release rolled back at the first step');
    const healthyEvents = (await agentEvents(cluster(), ns, name)).filter((e) => e.reason === 'Healthy' && new Date(String(e.lastTimestamp ?? e.eventTime)).getTime() >= released - 1000);
    assert.ok(healthyEvents.reduce((n, e) => n + (e.count ?? 1), 0) <= 1, 'no Healthy/Degraded flapping while the new pods crash-loop');
  });

  it('a release that crashes after being Ready for a while is rolled back too', { timeout: 240_000 }, async (t) => {
    if (!(await setUpOnRealNode(t))) return;
    const name = 'late-crash';
    const released = Date.now();
    await patchAgentSpec(cluster(), ns, name, { env: [{ name: 'RELEASE', value: '1.1' }, { name: 'AGENT_EXIT_CODE', value: '1' }, { name: 'AGENT_EXIT_AFTER', value: '12s' }] });
    const agent = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.ok(good.get(name), 'the healthy revision is known');
      assert.equal(a.status?.recovery?.rolledBackTo, good.get(name));
      assert.equal((await readyPods(cluster(), ns, name)).length, 2);
      return a;
    }, { timeoutMs: 200_000, message: 'rolled back, 2 Ready pods' });
    t.diagnostic(`release -> rolled back and 2/2 Ready: ${seconds(released)} s`);
    t.diagnostic(`events: ${(await agentEvents(cluster(), ns, name)).map((e) => `${e.reason}: ${e.message}`).join(' | ')}`);
    // rolled back because the release crashed (12 s after start), not before:
    // a start slower than the readiness window is no failure
    assert.equal(agent.status?.lastFailure?.reason, 'CrashLoopBackOff');
    assert.ok(seconds(released) >= 12, `rolled back ${seconds(released)} s after the release, before its first crash`);
    assert.ok(Date.parse(agent.status!.lastFailure!.time) >= released - 1000, 'a failure of the release');
  });

  it('a readiness failure is diagnosed when the probe window closes and restarted away', { timeout: 180_000 }, async (t) => {
    if (!(await setUpOnRealNode(t))) return;
    const name = 'unready';
    const [pod] = await readyPods(cluster(), ns, name);
    const failed = Date.now();
    // the agent's control file: readiness fails from now on, in this pod only
    const res = await fetch(`http://${pod!.status!.podIP}:8080/control`, { method: 'POST', body: 'ready=fail\n' });
    assert.equal(res.ok, true);
    await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.lastFailure?.reason, 'ProbeFailure');
      // status times have whole seconds; an older ProbeFailure (a slow first start) does not count
      assert.ok(Date.parse(a.status.lastFailure.time) >= failed - 1000, `lastFailure from ${a.status.lastFailure.time}, before the flip`);
    }, { timeoutMs: 60_000, message: 'ProbeFailure in status, after the flip' });
    t.diagnostic(`readiness failing -> ProbeFailure: ${seconds(failed)} s`);
    await eventually(async () => {
      const [next] = await readyPods(cluster(), ns, name);
      assert.ok(next && next.metadata?.uid !== pod!.metadata?.uid, 'a fresh Ready pod');
    }, { timeoutMs: 120_000, message: 'Ready again in a new pod' });
    t.diagnostic(`readiness failing -> Ready again: ${seconds(failed)} s`);
  });

  it('a liveness kill is diagnosed as a liveness failure, with the probe as the cause', { timeout: 180_000 }, async (t) => {
    if (!(await setUpOnRealNode(t))) return;
    const name = 'liveness-kill';
    const [pod] = await readyPods(cluster(), ns, name);
    const failed = Date.now();
    // the control file is in the container's own filesystem: the kubelet kills it
    // once, and the restarted container starts clean
    const res = await fetch(`http://${pod!.status!.podIP}:8080/control`, { method: 'POST', body: 'live=fail\n' });
    assert.equal(res.ok, true);
    const agent = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.lastFailure?.reason, 'LivenessProbeFailure');
      assert.ok(Date.parse(a.status.lastFailure.time) >= failed - 1000, 'a failure after the flip');
      return a;
    }, { timeoutMs: 90_000, message: 'LivenessProbeFailure in status' });
    t.diagnostic(`liveness failing -> diagnosed: ${seconds(failed)} s`);
    assert.match(agent.status?.lastFailure?.message ?? '', /liveness/i);
    assert.doesNotMatch(agent.status?.lastFailure?.message ?? '', /exit code 0/, 'not "keeps exiting (last exit code 0)"');
  });
  describe('config reload', () => {
    it('a layer edit reaches the running agent without a restart with InPlace and HTTP, and by a new pod with Restart; without the pod annotation the file arrives only with the kubelet\'s periodic sync', { timeout: 240_000 }, async (t) => {
      if (!(await setUpOnRealNode(t))) return;
      await Promise.all(reloadModes.map((m) => waitReady(cluster(), ns, reloadName(m), 180_000)));
      const first = Object.fromEntries(await Promise.all(reloadModes.map(async (m) => [m, await onlyPod(reloadName(m))] as const))) as Record<ReloadMode, Seen>;
      for (const m of reloadModes) assert.equal(first[m].info.config.values['level'], 'info');
      const replicaSets = async (m: ReloadMode) => (await cluster().apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${reloadName(m)}` })).items.length;

      // The same edit for all three, each timed from just before its own apply.
      const editedAt = {} as Record<ReloadMode, number>;
      for (const m of reloadModes) {
        editedAt[m] = Date.now();
        await apply(cluster(), ns, { yaml: reloadLayer(reloadName(m), 'level: debug\n') });
      }
      const loaded = Object.fromEntries(await Promise.all(reloadModes.map(async (m) => {
        const seen = await eventually(async () => {
          for (const pod of await readyPods(cluster(), ns, reloadName(m))) {
            const info = await agentInfo(cluster(), ns, pod.metadata!.name!).catch(() => undefined);
            if (info?.config.values['level'] === 'debug') return { pod, info };
          }
          return false;
        }, { timeoutMs: 120_000, intervalMs: 100, message: `${reloadName(m)} reporting level debug` });
        return [m, seen] as const;
      }))) as Record<ReloadMode, Seen>;
      const took = (m: ReloadMode) => (Date.parse(loaded[m].info.configLoadedAt) - editedAt[m]) / 1000;
      t.diagnostic(`edit -> loaded: ${reloadModes.map((m) => `${m} ${took(m).toFixed(2)} s`).join(', ')}`);

      assert.notEqual(loaded.Restart.pod.metadata?.uid, first.Restart.pod.metadata?.uid, 'Restart: a new pod');
      assert.equal(await replicaSets('Restart'), 2, 'Restart: a new ReplicaSet');
      for (const m of ['InPlace', 'HTTP'] as const) {
        const was = first[m]; const now = loaded[m];
        assert.equal(now.pod.metadata?.uid, was.pod.metadata?.uid, `${m}: the same pod`);
        assert.equal(agentContainer(now.pod)?.containerID, agentContainer(was.pod)?.containerID, `${m}: the same container`);
        assert.equal(agentContainer(now.pod)?.restartCount, agentContainer(was.pod)?.restartCount, `${m}: no restart`);
        assert.equal(now.info.pid, was.info.pid);
        assert.equal(now.info.startedAt, was.info.startedAt, `${m}: the same process`);
        assert.equal(now.info.configLoads, 2, `${m}: loaded once more, in place`);
        assert.equal(await replicaSets(m), 1, `${m}: no new ReplicaSet`);
      }
      // What the operator says: each pod was given the hash the process reports; HTTP: its reload call succeeded.
      await Promise.all((['InPlace', 'HTTP'] as const).map((m) => eventually(async () => {
        const a = await getAgent(cluster(), ns, reloadName(m));
        assert.equal(a.status?.config?.hash, loaded[m].info.config.sha256);
        assert.deepEqual(a.status?.config?.pods, [{ name: loaded[m].pod.metadata!.name!, hash: loaded[m].info.config.sha256, ...(m === 'HTTP' ? { reload: 'Succeeded' } : {}) }]);
        assert.equal(condition(a, 'ConfigReloaded')?.status, 'True');
        assert.equal(a.status?.revision, a.status?.lastHealthyRevision, 'the revision did not move');
      }, { timeoutMs: 30_000, message: `${reloadName(m)} status.config` })));
      assert.equal(loaded.HTTP.info.config.sha256, sha256((await cluster().core.readNamespacedConfigMap({ namespace: ns, name: 'reload-http-config' })).data!['config.yaml']!));
      await withoutTheAnnotation(t);
    });

    it('validate: a layer the agent would refuse stops the new pod in its init container, the serving pod keeps serving and the release is rolled back', { timeout: 180_000 }, async (t) => {
      if (!(await setUpOnRealNode(t))) return;
      await refusedByValidation();
    });
  });
});

const reloadModes = ['Restart', 'InPlace', 'HTTP'] as const;
type ReloadMode = (typeof reloadModes)[number];
const reloadName = (mode: ReloadMode) => `reload-${mode.toLowerCase()}`;

/** A Restart Agent with spec.config.validate, healthy since before(): the validation scenario runs beside the modes one. */
const validated = 'reload-validate';

function reloadLayer(name: string, text: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-layer` }, data: { 'layer.yaml': text } });
}

function reloadAgentYaml(mode: ReloadMode, image: string, name: string): string {
  return JSON.stringify({
    apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name },
    spec: {
      image, ports: [{ name: 'http', containerPort: 8080 }],
      env: mode === 'InPlace' ? [{ name: 'AGENT_CONFIG_WATCH', value: '100ms' }] : [],
      config: {
        layers: [{ configMap: { name: `${name}-layer`, key: 'layer.yaml' } }, { inline: { mode } }],
        reload: mode === 'HTTP' ? { mode, http: { path: '/reload' } } : { mode },
        ...(mode === 'Restart' ? { validate: { command: ['/agent', 'check', '$(CONFIG_FILE)'] } } : {}),
      },
      podTemplate: onRealNode,
    },
  });
}

interface Seen { pod: V1Pod; info: AgentInfo }

async function onlyPod(name: string): Promise<Seen> {
  const pods = await readyPods(cluster(), ns, name);
  assert.equal(pods.length, 1, `one Ready pod of ${name}`);
  return { pod: pods[0]!, info: await agentInfo(cluster(), ns, pods[0]!.metadata!.name!) };
}

const agentContainer = (p: V1Pod) => p.status?.containerStatuses?.find((c) => c.name === 'agent');

/**
 * The InPlace Agent made Unmanaged, and its ConfigMap edited by hand: no pod
 * annotation, so the file reaches the process only when the kubelet syncs
 * the pod on its own (syncFrequency, 10 s on the real node, 1 min by default).
 */
async function withoutTheAnnotation(t: { diagnostic(message: string): void }): Promise<void> {
  await cluster().custom.patchNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', plural: 'agents', namespace: ns, name: reloadName('InPlace'), body: { spec: { managementState: 'Unmanaged' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await eventually(async () => assert.equal(condition(await getAgent(cluster(), ns, reloadName('InPlace')), 'Reconciling')?.reason, 'Unmanaged'), { timeoutMs: 30_000, message: 'Unmanaged' });
  const serving = await onlyPod(reloadName('InPlace'));
  const editedAt = Date.now();
  await cluster().core.patchNamespacedConfigMap({ namespace: ns, name: 'reload-inplace-config', body: { data: { 'config.yaml': 'level: warn\n' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const info = await eventually(async () => {
    const i = await agentInfo(cluster(), ns, serving.pod.metadata!.name!);
    return i.config.values['level'] === 'warn' ? i : false;
  }, { timeoutMs: 150_000, intervalMs: 100, message: 'the hand-edited file in the process' });
  t.diagnostic(`edit -> loaded without the pod annotation (the kubelet's own sync): ${((Date.parse(info.configLoadedAt) - editedAt) / 1000).toFixed(2)} s`);
}

async function refusedByValidation(): Promise<void> {
  // A rollback needs a healthy revision to go back to: the first one, once it has run healthy.
  await waitConverged(cluster(), ns, validated);
  const healthy = (await getAgent(cluster(), ns, validated)).status?.revision;
  const serving = await onlyPod(validated);
  await apply(cluster(), ns, { yaml: reloadLayer(validated, 'level: debug\nagent: { reject: no such output plugin }\n') });
  const agent = await eventually(async () => {
    const a = await getAgent(cluster(), ns, validated);
    assert.equal(a.status?.lastFailure?.container, 'validate-config', `not reported yet: ${JSON.stringify(a.status?.lastFailure)}`);
    return a;
  }, { timeoutMs: 90_000, intervalMs: 500, message: 'the validation failure in status' });
  assert.match(agent.status?.lastFailure?.lastWords ?? '', /config rejected: no such output plugin/);
  assert.equal(agent.status?.lastFailure?.exitCode, 78);
  const rolled = await eventually(async () => {
    const a = await getAgent(cluster(), ns, validated);
    assert.equal(a.status?.recovery?.rolledBackTo, healthy, `not rolled back yet: ${JSON.stringify(a.status?.recovery)}`);
    return a;
  }, { timeoutMs: 60_000, intervalMs: 500, message: 'the rollback to the healthy revision' });
  assert.equal(condition(rolled, 'Ready')?.reason, 'RolledBack');
  // The pod that ran before the edit never stopped: the refused file never reached it.
  const still = await onlyPod(validated);
  assert.equal(still.pod.metadata?.uid, serving.pod.metadata?.uid);
  assert.equal(agentContainer(still.pod)?.restartCount, agentContainer(serving.pod)?.restartCount);
  assert.equal(still.info.config.values['level'], 'info');
  assert.equal(still.info.config.values['agent.reject'], undefined);
}

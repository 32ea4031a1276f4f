// A bad new revision end to end (issue 17
// defects 1 and 2): v1 runs healthy long enough to become lastHealthyRevision;
// v2's pods crash right after they start. As on a real node, v2 never becomes
// available (minReadySeconds outlasts its running moments), so the rollout
// keeps v1's pod serving. The operator judges v2 failed as soon as its pods
// all fail (not after the progress deadline) and rolls back at its first step
// (2 s here) without deleting a pod, while the spec keeps saying v2:
// Degraded=True says what runs and how to clear it. A new spec generation
// clears the rollback.
//
// The same for a release whose only change is a bad config layer (issue 10):
// each rendered config is its own immutable ConfigMap named by its content,
// so the rolled-back pods mount the previous config's ConfigMap, not the bad
// one; and 50 config changes after it leave a bounded number of ConfigMaps.
// Both Agents run at once (describe concurrency) in one namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../src/api/agent.ts';
import type { RecoveryStatus } from '../../src/api/status.ts';
import { agentEvents, agentPods, condition, createAgent, describeRecovery, getAgent, patchAgentSpec, waitReady } from '../support/agents.ts';
import { auditUnavailable, auditWrites } from '../support/audit.ts';
import { watchAll } from '../support/watch.ts';
import { useCluster } from '../support/cluster.ts';
import { faultInjector, type FaultInjector } from '../support/faults.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

const cluster = useCluster();
const name = 'crashy';
let ns: string;

const backoff = { initialBackoffSeconds: 2, maxBackoffSeconds: 8, maxAttempts: 3, healthyResetSeconds: 10 };
/**
 * How late the rollback may come after the first step is due:
 * nextRestartNotBefore is rounded up to whole seconds (< 1 s) and a reconcile
 * takes a moment.
 */
const lateBy = 2;

interface Seen { at: number; generation: number; recovery: RecoveryStatus | undefined }
interface Served { at: number; image: string | undefined; available: number }

describe('a new revision that crash-loops', { concurrency: true }, () => {
  let injector: FaultInjector | undefined;
  const seen: Seen[] = [];
  const served: Served[] = [];
  let watch: { stop(): void } | undefined;
  let deployments: { stop(): void } | undefined;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'remediation-crashloop');
    await startOperator(cluster(), { namespaces: [ns] });
    watch = watchAll<Agent>(cluster().kc, `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, (a) => {
      if (a.metadata.name === name) seen.push({ at: Date.now(), generation: a.metadata.generation ?? 0, recovery: a.status?.recovery });
    });
    deployments = watchAll<V1Deployment>(cluster().kc, `/apis/apps/v1/namespaces/${ns}/deployments`, (d) => {
      if (d.metadata?.name === name) served.push({ at: Date.now(), image: d.spec?.template.spec?.containers[0]?.image, available: d.status?.availableReplicas ?? 0 });
    });
  });

  after(async () => {
    watch?.stop();
    deployments?.stop();
    await injector?.stop({ clear: false });
    await configInjector?.stop({ clear: false });
  });
  let configInjector: FaultInjector | undefined;

  it('whose only change is a bad config layer is rolled back onto the previous config, and 50 config changes leave a bounded number of ConfigMaps', async () => {
    const agent = 'crashy-config';
    const level = (layer: Record<string, unknown>) => ({ config: { fileName: 'agent.yaml', layers: [{ inline: layer }] } });
    await createAgent(cluster(), ns, agent, { image: 'registry.example/crashy:1.0', recovery: { restart: backoff, onExhausted: 'Rollback' }, ...level({ level: 'info' }) });
    const v1 = await eventually(async () => {
      const a = await getAgent(cluster(), ns, agent);
      assert.ok(a.status?.revision && a.status.lastHealthyRevision === a.status.revision, `lastHealthyRevision ${a.status?.lastHealthyRevision} / revision ${a.status?.revision}`);
      return a.status.revision;
    }, { timeoutMs: 150_000, message: 'v1 becomes lastHealthyRevision' });
    const v1Config = mountedConfig((await cluster().apps.readNamespacedDeployment({ name: agent, namespace: ns })).spec?.template.spec);
    assert.match(v1Config ?? '', /^crashy-config-config-[0-9a-f]{10}$/);
    assert.equal((await cluster().core.readNamespacedConfigMap({ name: v1Config!, namespace: ns })).immutable, true);

    // The upgrade from the fixed-name ConfigMap: the Agent's own `<agent>-config` (as the release before wrote it)
    // goes once nothing mounts it; a ConfigMap with the Agent's labels but no ownerReference to it is never touched.
    const owner = await getAgent(cluster(), ns, agent);
    const labels = { 'agent-operator.dev/agent': agent, 'app.kubernetes.io/managed-by': 'agent-operator' };
    await cluster().core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `${agent}-config`, labels, ownerReferences: [
      { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', name: agent, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true },
    ] }, data: { 'agent.yaml': 'level: old\n' } } });
    await cluster().core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `${agent}-config-0000000000`, labels }, data: { 'agent.yaml': 'not ours\n' } } });
    await eventually(async () => {
      const names = (await cluster().core.listNamespacedConfigMap({ namespace: ns, labelSelector: `agent-operator.dev/agent=${agent}` })).items.map((c) => c.metadata?.name).sort();
      assert.deepEqual(names, [`${agent}-config-0000000000`, v1Config], 'the old fixed-name one deleted, the foreign one kept');
    }, { timeoutMs: 20_000, message: 'the unmounted fixed-name ConfigMap collected' });

    // v2 changes nothing but the config; as an agent that rejects it would, its pods (those mounting another config) crash.
    configInjector = faultInjector(cluster().core, ns, `agent-operator.dev/agent=${agent}`, 'CrashLoopBackOff',
      { delay: '1s', backoff: '3s', only: (p) => mountedConfig(p.spec) !== v1Config });
    await patchAgentSpec(cluster(), ns, agent, level({ level: 'nonsense' }));
    const rolledBack = await rolledBackTo(agent, v1, 'the bad config rolled back to v1');
    assert.notEqual(rolledBack.status?.revision, v1);
    const d = await cluster().apps.readNamespacedDeployment({ name: agent, namespace: ns });
    assert.equal(mountedConfig(d.spec?.template.spec), v1Config, 'the rolled-back template mounts the previous config');
    await eventually(async () => {
      const pods = (await agentPods(cluster(), ns, agent)).filter((p) => !p.metadata?.deletionTimestamp);
      assert.ok(pods.length > 0 && pods.every((p) => mountedConfig(p.spec) === v1Config), `pods mount ${pods.map((p) => mountedConfig(p.spec)).join(', ')}`);
      assert.equal(condition(await getAgent(cluster(), ns, agent), 'Available')?.status, 'True');
    }, { timeoutMs: 60_000, message: 'only pods on the previous config, available' });
    await configInjector.stop();

    await cluster().core.deleteNamespacedConfigMap({ name: `${agent}-config-0000000000`, namespace: ns });
    // 50 config changes, each seen by the operator (a new generation observed) before the next.
    const configMaps = async () => (await cluster().core.listNamespacedConfigMap({ namespace: ns, labelSelector: `agent-operator.dev/agent=${agent}` })).items;
    let most = 0;
    for (let i = 1; i <= 50; i++) {
      await cluster().custom.patchNamespacedCustomObject(
        { group: 'agent-operator.dev', version: 'v1alpha1', namespace: ns, plural: 'agents', name: agent, body: { spec: level({ level: 'info', change: i }) } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually(async () => {
        const a = await getAgent(cluster(), ns, agent);
        assert.equal(a.status?.observedGeneration, a.metadata.generation);
      }, { timeoutMs: 30_000, message: `change ${i} observed` });
      if (i % 10 === 0) most = Math.max(most, (await configMaps()).length);
    }
    const settled = await eventually(async () => {
      const a = await getAgent(cluster(), ns, agent);
      assert.equal(condition(a, 'Ready')?.status, 'True', JSON.stringify(condition(a, 'Ready')));
      const cms = await configMaps();
      // What the ReplicaSets kept by revisionHistoryLimit (10) mount, the current one's, and nothing else.
      assert.ok(cms.length <= 12, `${cms.length} ConfigMaps: ${cms.map((c) => c.metadata?.name).join(' ')}`);
      return { a, cms };
    }, { timeoutMs: 120_000, message: 'the Agent Ready on the last config with a bounded number of ConfigMaps' });
    const last = mountedConfig((await cluster().apps.readNamespacedDeployment({ name: agent, namespace: ns })).spec?.template.spec);
    assert.ok(settled.cms.some((c: V1ConfigMap) => c.metadata?.name === last && c.data?.['agent.yaml']?.includes('change: 50')), 'the last config runs');
    console.log(`# 50 config changes: at most ${Math.max(most, settled.cms.length)} ConfigMaps seen at a time, ${settled.cms.length} left`);
  });

  it('is rolled back at the first step with the old pod serving throughout, until a new spec clears it', async () => {
    const started = new Date();
    await createAgent(cluster(), ns, name, { image: 'registry.example/crashy:1.0', recovery: { restart: backoff, onExhausted: 'Rollback' } });
    // A revision counts as healthy after HEALTHY_AFTER_SECONDS ready without a failure (10 s for the e2e operators, 60 s by default).
    const v1 = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.ok(a.status?.revision && a.status.lastHealthyRevision === a.status.revision, `lastHealthyRevision ${a.status?.lastHealthyRevision} / revision ${a.status?.revision}`);
      return a.status.revision;
    }, { timeoutMs: 150_000, message: 'v1 becomes lastHealthyRevision' });

    // v2: a new image whose pods crash-loop. Its pods carry a label that v1's do not, so only they are made to fail.
    injector = faultInjector(cluster().core, ns, `agent-operator.dev/agent=${name},e2e-fault=crash`, 'CrashLoopBackOff', { delay: '1s', backoff: '3s' });
    const v2Spec = { image: 'registry.example/crashy:2.0', podTemplate: { labels: { 'e2e-fault': 'crash' } } };
    const patchedAt = Date.now();
    await patchAgentSpec(cluster(), ns, name, v2Spec);

    const rolledBack = await rolledBackTo(name, v1, 'rolled back to v1 (not after the 600 s progress deadline)');
    const v2 = rolledBack.status!.revision!;
    assert.notEqual(v2, v1);

    // What runs is v1's template while the spec still asks for v2.
    assert.equal(rolledBack.metadata.generation, 2);
    assert.equal(rolledBack.spec.image, v2Spec.image);
    // Polled: once in a make test run under load (two files at a time) the
    // Deployment read just after the status still showed v2's template; alone
    // it never did. Noted on issue 16 as a possible status-ahead-of-apply race.
    await eventually(async () => {
      const d = await cluster().apps.readNamespacedDeployment({ name, namespace: ns });
      assert.equal(d.spec?.template.spec?.containers[0]?.image, 'registry.example/crashy:1.0');
      assert.equal(d.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], v1);
    }, { timeoutMs: 15_000, message: 'the Deployment runs v1\'s template' });
    assert.equal(rolledBack.status?.recovery?.rolledBackFrom, v2);
    const degraded = condition(rolledBack, 'Degraded')!;
    assert.equal(degraded.status, 'True');
    assert.match(degraded.message, new RegExp(`running revision ${v1} \\(.*the last healthy\\) instead of ${v2}, which kept failing`));
    assert.match(degraded.message, /fix the spec and apply it to clear the rollback/);
    const ready = condition(rolledBack, 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'RolledBack'], 'Ready: the spec as written does not run');
    await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.image, 'registry.example/crashy:1.0');
      assert.equal(condition(a, 'Available')?.status, 'True', 'v1 serves again');
    }, { message: 'v1 available again' });

    // The schedule, from the operator's record (the watch) and the apiserver's (the audit log).
    const episode = seen.filter((s) => s.generation === 2);
    const rollbackAt = episode.find((s) => s.recovery?.rolledBackTo !== undefined)!;
    const firstStep = episode.find((s) => s.recovery?.nextRestartNotBefore !== undefined)!;
    assert.ok(firstStep, `the first step was scheduled:\n${episode.map(describeRecovery).join('\n')}`);
    assert.equal(rollbackAt.recovery?.restartAttempts, undefined, 'no restart attempt before the rollback');
    const due = Date.parse(firstStep.recovery!.nextRestartNotBefore!);
    assert.ok(rollbackAt.at <= due + lateBy * 1000, `rolled back ${((rollbackAt.at - due) / 1000).toFixed(2)} s after the first step was due (allowed ${lateBy} s)`);
    console.log(`# v2 applied -> rolled back: ${((rollbackAt.at - patchedAt) / 1000).toFixed(1)} s`);

    // v1's pod served throughout: the Deployment never had zero available replicas after v2 was applied.
    const during = served.filter((s) => s.at >= patchedAt);
    assert.ok(during.length > 0 && during.every((s) => s.available >= 1), `availableReplicas after v2: ${during.map((s) => `${s.image}:${s.available}`).join(', ')}`);

    const skip = auditUnavailable(cluster());
    if (skip) {
      console.log(`# skipping the count of pod deletions: ${skip}`);
    } else {
      const deletes = (await auditWrites(cluster(), { userAgent: 'agent-operator/', resource: 'pods', verbs: ['delete'], namespace: ns, since: started, succeededOnly: true }))!;
      assert.equal(deletes.length, 0, `no pod of the failed release deleted: ${deletes.map((e) => `${e.objectRef?.name}@${e.requestReceivedTimestamp}`).join(', ')}`);
    }
    const events = await agentEvents(cluster(), ns, name);
    assert.equal(events.filter((e) => e.reason === 'RestartedPod').length, 0);
    assert.match(events.find((e) => e.reason === 'RolledBack')?.message ?? '', new RegExp(`^revision ${v2} kept failing`));

    // kubectl describe shows the diagnosis: what runs, why, and how to clear it.
    const described = await cluster().kubectl(['describe', 'agent', name, '-n', ns]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout.replace(/\s+/g, ' '), new RegExp(`running revision ${v1} .*instead of ${v2}, which kept failing: fix the spec and apply it to clear the rollback`));

    // A new spec generation clears the rollback and runs the spec as written.
    await injector.stop();
    await patchAgentSpec(cluster(), ns, name, { image: 'registry.example/crashy:3.0', podTemplate: null });
    const cleared = await waitReady(cluster(), ns, name, 60_000);
    assert.equal(cleared.status?.observedGeneration, 3);
    assert.equal(cleared.status?.recovery?.rolledBackTo, undefined);
    assert.equal(cleared.status?.recovery?.rolledBackFrom, undefined);
    assert.equal(cleared.status?.recovery?.generation, 3);
    assert.equal(condition(cleared, 'Degraded')?.status, 'False');
    assert.equal(cleared.status?.image, 'registry.example/crashy:3.0');
    const d3 = await cluster().apps.readNamespacedDeployment({ name, namespace: ns });
    assert.equal(d3.spec?.template.spec?.containers[0]?.image, 'registry.example/crashy:3.0');
  });
});

/** Waits (30 s) until the Agent runs `revision` again after a rollback, and says so in Degraded. */
function rolledBackTo(agent: string, revision: string | undefined, message: string) {
  return eventually(async () => {
    const a = await getAgent(cluster(), ns, agent);
    assert.equal(a.status?.recovery?.rolledBackTo, revision, `recovery ${JSON.stringify(a.status?.recovery)}`);
    assert.equal(condition(a, 'Degraded')?.reason, 'RolledBack');
    return a;
  }, { timeoutMs: 30_000, message });
}

/** The ConfigMap a pod spec mounts as the rendered config. */
function mountedConfig(spec: V1Pod['spec']): string | undefined {
  return spec?.volumes?.find((v) => v.name === 'agent-config')?.configMap?.name;
}

// Issue 11: an Agent in DaemonSet mode (one pod per node) and in StatefulSet
// mode (one volume per replica), against the real apiserver, controllers and
// scheduler with kwok nodes: reconciled to Ready with counts that make sense
// for the mode, zero writes once converged (audit log), a mode change refused
// by the CRD, and a DaemonSet revision that breaks on its first node rolled
// back through the ControllerRevisions before it reaches the rest.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { agentPods, createAgent, getAgent, patchAgentSpec, waitConverged } from '../support/agents.ts';
import { auditUnavailable, operatorWrites } from '../support/audit.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
let ns: string;
/** Nodes the DaemonSet admits: those without a taint of their own (the DaemonSet controller tolerates the node.kubernetes.io ones); the real node, when there, is tainted. */
let nodes: number;

const recovery = { restart: { maxAttempts: 0 }, onExhausted: 'Rollback' };
const agents = {
  'node-agent': { mode: 'DaemonSet', image: 'example.com/node-agent:1', ports: [{ name: 'metrics', containerPort: 9100 }], recovery },
  'wal': { mode: 'StatefulSet', image: 'example.com/wal:1', replicas: 2, storage: { size: '1Gi' }, ports: [{ name: 'http', containerPort: 8080 }], recovery },
};

describe('DaemonSet and StatefulSet modes', () => {
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'modes');
    const all = (await cluster().core.listNode()).items;
    nodes = all.filter((n) => !(n.spec?.taints ?? []).some((t) => !t.key.startsWith('node.kubernetes.io/') && t.effect !== 'PreferNoSchedule')).length;
    assert.ok(nodes >= 2, `the early-stop scenario needs at least 2 untainted nodes, found ${nodes}`);
    await startOperator(cluster(), { namespaces: [ns] });
    await Promise.all(Object.entries(agents).map(([name, spec]) => createAgent(cluster(), ns, name, spec)));
    await Promise.all([waitConverged(cluster(), ns, 'node-agent'), waitConverged(cluster(), ns, 'wal')]);
  });

  it('a DaemonSet Agent runs one pod per node and counts nodes: READY is ready/desired nodes', async () => {
    const a = await getAgent(cluster(), ns, 'node-agent');
    assert.equal(a.status?.desiredReplicas, nodes);
    assert.equal(a.status?.readyText, `${nodes}/${nodes}`);
    assert.equal(a.status?.misscheduledReplicas, 0);
    const ds = await cluster().apps.readNamespacedDaemonSet({ namespace: ns, name: 'node-agent' });
    assert.equal(ds.metadata?.ownerReferences?.[0]?.uid, a.metadata.uid, 'the operator owns the DaemonSet it applies');
    const running = await agentPods(cluster(), ns, 'node-agent');
    assert.equal(new Set(running.map((p) => p.spec?.nodeName)).size, nodes, 'one pod on each node');
    const table = await cluster().kubectl(['get', 'agent', 'node-agent', '-n', ns, '--no-headers']);
    assert.match(table.stdout, new RegExp(`^node-agent\\s+${nodes}/${nodes}\\s+Running`));
  });

  it('a StatefulSet Agent gives each replica its own ReadWriteOnce claim', async () => {
    const a = await getAgent(cluster(), ns, 'wal');
    assert.equal(a.status?.readyText, '2/2');
    const claims = (await cluster().core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items.map((c) => c.metadata?.name).sort();
    assert.deepEqual(claims, ['agent-state-wal-0', 'agent-state-wal-1']);
    const names = (await agentPods(cluster(), ns, 'wal')).map((p) => p.metadata?.name).sort();
    assert.deepEqual(names, ['wal-0', 'wal-1']);
  });

  it('converged DaemonSet and StatefulSet Agents cause zero API writes', async (t) => {
    const why = auditUnavailable(cluster());
    if (why) return t.skip(why);
    const since = new Date();
    await sleep(20_000); // the measurement window itself
    assert.deepEqual(await operatorWrites(cluster(), ns, since), []);
  });

  it('refuses a mode change, naming the fix', async () => {
    const res = await cluster().kubectl(['patch', 'agent', 'wal', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { mode: 'Deployment', replicas: 1 } })]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /spec\.mode cannot change on an existing Agent.*create a new Agent with the new mode/);
  });

  // Independent Agents: both remediations run at once.
  describe('a broken revision', { concurrency: true }, () => {
  it('a DaemonSet revision that crashes on its first node is rolled back before it reaches the others', async () => {
    const before = await getAgent(cluster(), ns, 'node-agent');
    const healthy = before.status?.lastHealthyRevision;
    assert.ok(healthy);
    // Every node that ever ran a pod of the bad revision, seen by polling while it lasts.
    const reached = new Set<string>();
    let badRevision: string | undefined;
    await patchAgentSpec(cluster(), ns, 'node-agent', { image: 'example.com/node-agent:2', podTemplate: { annotations: { 'fault.agent-operator.dev/inject': 'CrashLoopBackOff' } } });
    const a = await eventually(async () => {
      const now = await getAgent(cluster(), ns, 'node-agent');
      if (now.status?.revision !== healthy) badRevision = now.status?.revision;
      for (const p of await agentPods(cluster(), ns, 'node-agent')) {
        if (badRevision && p.metadata?.annotations?.['agent-operator.dev/revision'] === badRevision && p.spec?.nodeName) reached.add(p.spec.nodeName);
      }
      assert.equal(now.status?.recovery?.rolledBackTo, healthy, `recovery ${JSON.stringify(now.status?.recovery)}`);
      return now;
    }, { timeoutMs: 120_000, intervalMs: 250, message: 'the bad revision rolled back' });
    assert.equal(a.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'RolledBack');
    assert.ok(reached.size >= 1 && reached.size < nodes, `the bad revision reached ${reached.size} of ${nodes} nodes (maxUnavailable 1)`);
    await eventually(async () => {
      const ds = await cluster().apps.readNamespacedDaemonSet({ namespace: ns, name: 'node-agent' });
      assert.equal(ds.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], healthy, 'the DaemonSet runs the healthy template again');
      assert.equal(ds.status?.updatedNumberScheduled, nodes);
      assert.equal(ds.status?.numberAvailable, nodes);
    }, { timeoutMs: 90_000, message: 'every node back on the healthy revision' });
  });

  it('a StatefulSet stuck on a pod of the broken revision (OrderedReady) recovers: the operator deletes that pod after the rollback', async () => {
    const before = await getAgent(cluster(), ns, 'wal');
    const healthy = before.status?.lastHealthyRevision;
    assert.ok(healthy);
    await patchAgentSpec(cluster(), ns, 'wal', { image: 'example.com/wal:2', podTemplate: { annotations: { 'fault.agent-operator.dev/inject': 'CrashLoopBackOff' } } });
    await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'wal');
      assert.equal(a.status?.recovery?.rolledBackTo, healthy, `recovery ${JSON.stringify(a.status?.recovery)}`);
    }, { timeoutMs: 120_000, message: 'the broken StatefulSet revision rolled back' });
    // The StatefulSet controller alone would wait forever for wal-1 (the broken revision) to become Ready.
    await eventually(async () => {
      const sts = await cluster().apps.readNamespacedStatefulSet({ namespace: ns, name: 'wal' });
      assert.equal(sts.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], healthy);
      assert.equal(sts.status?.currentRevision, sts.status?.updateRevision, `status ${JSON.stringify(sts.status)}`);
      assert.equal(sts.status?.readyReplicas, 2);
      const running = await agentPods(cluster(), ns, 'wal');
      assert.deepEqual(running.map((p) => p.metadata?.annotations?.['agent-operator.dev/revision']), [healthy, healthy]);
    }, { timeoutMs: 120_000, message: 'every replica back on the healthy revision' });
    const events = (await cluster().core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Agent,involvedObject.name=wal,reason=StuckPodDeleted' })).items;
    assert.match(events[0]?.message ?? '', /deleted pod wal-1: it runs revision \w+, never became Ready/);
  });
  });
});

// Two operator processes on one Lease: one leads and writes; the other
// writes nothing; when the leader is killed the other takes over and
// reconciles within 20 s.
// Sharding (--shards 2): two processes split the two shard Leases; the
// apiserver's audit log (each process's identity is in its User-Agent) shows
// every Agent's writes coming from the one process holding its shard; when
// one is killed the other takes its shard over within the lease bounds and
// reconciles its Agents.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { apply, patchAgentSpec, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';
import { auditUnavailable, auditWrites } from '../support/audit.ts';
import { shardLeaseName, shardOf } from '../../src/runtime/shards.ts';

const cluster = useCluster();

/** Writes an operator process made, from its own request counter, but for the Lease (the leader renews it). */
async function writes(op: RunningOperator): Promise<number> {
  let n = 0;
  for (const verb of ['create', 'update', 'patch', 'delete']) {
    n += await op.counter('agent_operator_api_requests_total', { verb }) - await op.counter('agent_operator_api_requests_total', { verb, resource: 'leases' });
  }
  return n;
}

async function leading(op: RunningOperator): Promise<boolean> {
  return (await op.counter('leader_election_master_status')) === 1;
}

describe('leader election', () => {
  let ns: string;
  let a: RunningOperator;
  let b: RunningOperator;
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'leader');
    const common = { namespaces: [ns], leaderElect: true, leaseName: 'agent-operator-leader', leaseNamespace: ns };
    a = await startOperator(cluster(), { ...common, identity: 'operator-a' });
    await eventually(() => leading(a), { message: 'operator-a leads' });
    b = await startOperator(cluster(), { ...common, identity: 'operator-b' });
  });

  it('one leads, the other writes nothing', async () => {
    await apply(cluster(), ns, { yaml: 'apiVersion: agent-operator.dev/v1alpha1\nkind: Agent\nmetadata: { name: led }\nspec: { image: example.com/agent:1 }\n' });
    await waitReady(cluster(), ns, 'led');
    assert.equal(await leading(a), true);
    assert.equal(await leading(b), false);
    assert.ok(await writes(a) > 0, 'the leader wrote the Agent\'s objects');
    assert.equal(await writes(b), 0, 'the follower wrote nothing');
    const lease = await cluster().kubectl(['get', 'lease', 'agent-operator-leader', '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.equal(lease.stdout, 'operator-a');
  });

  it('when the leader is killed the other reconciles within 20 s', async () => {
    await a.kill();
    const killed = Date.now();
    await patchAgentSpec(cluster(), ns, 'led', { replicas: 2 });
    await eventually(async () => {
      const d = await cluster().apps.readNamespacedDeployment({ name: 'led', namespace: ns });
      assert.equal(d.spec?.replicas, 2);
    }, { timeoutMs: 30_000, intervalMs: 200, message: 'the new leader applied replicas: 2' });
    const took = Date.now() - killed;
    assert.ok(took <= 20_000, `took over and reconciled in ${took} ms`);
    assert.equal(await leading(b), true);
  });
});

describe('sharding: two processes, --shards 2', () => {
  const leaseName = 'agent-operator-leader';
  let ns: string;
  let started: Date;
  const ops = new Map<string, RunningOperator>();
  const agents: string[] = [];
  const holderOf = async (shard: number) => (await cluster().kubectl(['get', 'lease', shardLeaseName(leaseName, shard), '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}'])).stdout;
  /** The shards a process says it holds (its leader_election_master_status per shard Lease). */
  const held = async (op: RunningOperator) => (await Promise.all([0, 1].map(async (i) => (await op.counter('leader_election_master_status', { name: shardLeaseName(leaseName, i) })) === 1 ? [i] : []))).flat();

  /** Each Agent's writes since `since`, by the identity in the User-Agent, in order. */
  async function writersByAgent(since: Date): Promise<Map<string, { who: string; at: number; what: string }[]>> {
    const events = (await auditWrites(cluster(), { userAgent: 'agent-operator/', namespace: ns, since }))!;
    const out = new Map<string, { who: string; at: number; what: string }[]>();
    for (const e of events) {
      if (e.objectRef?.resource === 'leases') continue;
      const name = e.objectRef?.name ?? '';
      const agent = agents.find((a) => name === a || name.startsWith(`${a}.`) || name.startsWith(`${a}-`));
      assert.ok(agent, `a write to ${e.objectRef?.resource}/${name} that belongs to no Agent`);
      const who = /\(([^)]*)\)/.exec(e.userAgent ?? '')?.[1] ?? `unknown: ${e.userAgent}`;
      out.set(agent, [...(out.get(agent) ?? []), { who, at: Date.parse(e.requestReceivedTimestamp), what: `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}` }]);
    }
    return out;
  }

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'shards');
    // Agents in both shards: names picked by the same hash the operator uses.
    for (let i = 0; agents.filter((a) => shardOf(`${ns}/${a}`, 2) === 0).length < 3 || agents.filter((a) => shardOf(`${ns}/${a}`, 2) === 1).length < 3; i++) {
      agents.push(`sharded-${String(i).padStart(2, '0')}`);
    }
    started = new Date();
    const common = { namespaces: [ns], leaderElect: true, leaseName, leaseNamespace: ns, env: { SHARDS: '2' } };
    const [a, b] = await Promise.all([
      startOperator(cluster(), { ...common, identity: 'shard-a' }),
      startOperator(cluster(), { ...common, identity: 'shard-b' }),
    ]);
    ops.set('shard-a', a!).set('shard-b', b!);
    await eventually(async () => (await held(a!)).length === 1 && (await held(b!)).length === 1, { timeoutMs: 30_000, message: 'each process holds one shard' });
  });

  it('every Agent is reconciled by the one process holding its shard, as the audit log shows', async (t) => {
    const unavailable = auditUnavailable(cluster());
    for (const name of agents) await apply(cluster(), ns, { yaml: `apiVersion: agent-operator.dev/v1alpha1\nkind: Agent\nmetadata: { name: ${name} }\nspec: { image: example.com/agent:1 }\n` });
    for (const name of agents) await waitReady(cluster(), ns, name);
    const holders = [await holderOf(0), await holderOf(1)];
    assert.deepEqual(new Set(holders), new Set(['shard-a', 'shard-b']), `one shard each: ${holders}`);
    if (unavailable) return t.skip(unavailable);
    const writers = await writersByAgent(started);
    for (const name of agents) {
      const who = new Set((writers.get(name) ?? []).map((w) => w.who));
      assert.deepEqual([...who], [holders[shardOf(`${ns}/${name}`, 2)]], `${name} (shard ${shardOf(`${ns}/${name}`, 2)}) written by ${[...who].join(', ')}`);
    }
  });

  it("a killed process's shard is taken over within the lease bounds, and its Agents are reconciled by the survivor only", async (t) => {
    const victim = await holderOf(0);
    const survivor = victim === 'shard-a' ? 'shard-b' : 'shard-a';
    await ops.get(victim)!.kill();
    const killed = Date.now();
    await eventually(async () => (await holderOf(0)) === survivor && (await holderOf(1)) === survivor, { timeoutMs: 30_000, intervalMs: 200, message: `${survivor} holds both shards` });
    const took = Date.now() - killed;
    // leaseDuration 15 s after the survivor saw the victim's last renew (it polls every 2–2.4 s), as the single leader above.
    assert.ok(took <= 20_000, `taken over ${took} ms after the kill`);
    assert.deepEqual(await held(ops.get(survivor)!), [0, 1]);
    const moved = agents.filter((a) => shardOf(`${ns}/${a}`, 2) === 0);
    for (const name of moved) await patchAgentSpec(cluster(), ns, name, { replicas: 2 });
    for (const name of moved) {
      await eventually(async () => {
        const d = await cluster().apps.readNamespacedDeployment({ name, namespace: ns });
        assert.equal(d.spec?.replicas, 2);
      }, { timeoutMs: 30_000, intervalMs: 200, message: `${survivor} applied replicas: 2 to ${name}` });
    }
    for (const name of agents) await waitReady(cluster(), ns, name);
    if (auditUnavailable(cluster())) return t.skip(auditUnavailable(cluster()));
    const writers = await writersByAgent(started);
    for (const name of moved) {
      const ws = writers.get(name) ?? [];
      const byVictim = ws.filter((w) => w.who === victim);
      const bySurvivor = ws.filter((w) => w.who === survivor);
      assert.ok(byVictim.length > 0 && bySurvivor.length > 0, `${name}: written by ${victim} before and ${survivor} after`);
      assert.deepEqual(ws.map((w) => w.who).filter((w) => w !== victim && w !== survivor), [], `${name}: only the two`);
      // one writer at a time: every survivor write after the victim's last (the victim is dead by then)
      const lastVictim = Math.max(...byVictim.map((w) => w.at));
      assert.ok(bySurvivor.every((w) => w.at > lastVictim && w.at >= killed - 1000), `${name}: ${JSON.stringify(ws)}`);
    }
    for (const name of agents.filter((a) => !moved.includes(a))) {
      assert.deepEqual([...new Set((writers.get(name) ?? []).map((w) => w.who))], [survivor], `${name} stayed with ${survivor}`);
    }
  });
});

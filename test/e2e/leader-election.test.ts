// Two operator processes on one Lease: one leads and writes; the other
// writes nothing; when the leader is killed the other takes over and
// reconciles within 20 s.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { apply, patchAgentSpec, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';

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

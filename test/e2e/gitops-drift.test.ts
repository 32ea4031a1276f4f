// GitOps sees no drift: after the operator has reconciled an Agent, a
// server-side diff of the manifest it was applied from (what Argo CD does with
// ServerSideApply=true) is empty. That holds because the operator never writes
// spec and the CRD has no schema defaults the apiserver would add.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot, useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
const manifests = ['examples/01-log-forwarder.yaml', 'examples/02-metrics-collector.yaml'].map((f) => join(repoRoot, f));
const fileArgs = manifests.flatMap((f) => ['-f', f]);
let ns: string;

interface ManagedField { manager: string; operation: string; subresource?: string; fieldsV1?: { 'f:spec'?: unknown } }
interface AgentJson {
  metadata: { generation: number; managedFields?: ManagedField[] };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; observedGeneration?: number }[] };
}

async function agent(name: string): Promise<AgentJson> {
  const r = await cluster().kubectl(['get', 'agent', name, '-n', ns, '-o', 'json', '--show-managed-fields']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as AgentJson;
}

describe('Agents applied the GitOps way show no drift once reconciled', () => {
  before(async () => {
    // retried: on a fresh cluster `kubectl wait` inside installCRD can fail before the new CRD has any condition
    await eventually(() => installCRD(cluster()), { message: 'the Agent CRD installed and Established' });
    ns = await testNamespace(cluster(), 'gitops-drift');
    await startOperator(cluster(), { namespaces: [ns] });
  });

  it('kubectl diff --server-side of the applied manifests is empty after the operator made both Agents Ready, and spec was never written', async () => {
    const applied = await cluster().kubectl(['apply', '--server-side', '--field-manager=argocd', '-n', ns, ...fileArgs]);
    assert.equal(applied.code, 0, applied.stderr);

    for (const name of ['log-forwarder', 'metrics-collector']) {
      await eventually(async () => {
        const a = await agent(name);
        const ready = a.status?.conditions?.find((c) => c.type === 'Ready');
        assert.equal(ready?.status, 'True');
        assert.equal(a.status?.observedGeneration, a.metadata.generation);
      }, { timeoutMs: 90_000, message: `Agent ${name} Ready at its current generation` });
    }

    const diff = await cluster().kubectl(['diff', '--server-side', '--field-manager=argocd', '-n', ns, ...fileArgs]);
    // kubectl diff: 0 = no differences, 1 = differences, >1 = kubectl or diff failed
    assert.equal(diff.stderr, '', 'kubectl diff wrote no error');
    assert.equal(diff.stdout, '', 'no drift between the manifests and the live objects');
    assert.equal(diff.code, 0);

    for (const name of ['log-forwarder', 'metrics-collector']) {
      const a = await agent(name);
      assert.equal(a.metadata.generation, 1, `${name}: spec never changed after the apply`);
      // Only the GitOps manager owns spec; the operator only ever wrote the status subresource.
      const specOwners = (a.metadata.managedFields ?? []).filter((m) => m.fieldsV1?.['f:spec'] !== undefined).map((m) => m.manager);
      assert.deepEqual(specOwners, ['argocd'], `${name}: managers of spec`);
      const operatorWrites = (a.metadata.managedFields ?? []).filter((m) => m.manager === 'agent-operator');
      assert.ok(operatorWrites.length > 0, `${name}: the operator wrote status`);
      assert.ok(operatorWrites.every((m) => m.subresource === 'status'), `${name}: the operator wrote only the status subresource: ${JSON.stringify(operatorWrites.map((m) => [m.operation, m.subresource]))}`);
    }
  });
});

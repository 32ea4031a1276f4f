// Issue 9, defect 7: `kubectl scale agent` writes spec.replicas through the
// scale subresource, which bumps metadata.generation. An agent that needs
// more memory than its spec gives it runs only thanks to the operator's raise
// (status.recovery.memoryLimit); scaling it must keep the raise (a cleared
// override brings back the limit it is OOM-killed at), while an edit of the
// pods' spec still clears it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment } from '@kubernetes/client-node';
import { agentEvents, apply, getAgent, patchAgentSpec, waitReady } from '../support/agents.ts';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';
import { watchAll } from '../support/watch.ts';

const cluster = useCluster();
const name = 'hungry';
let ns: string;

// As examples/demo/memory-hungry.yaml: kwok OOM-kills the container while its limit is below 300Mi.
const agentYaml = `apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: ${name} }
spec:
  image: registry.example/hungry:1.0
  ports: [{ name: metrics, containerPort: 9100 }]
  resources: { limits: { memory: 256Mi } }
  recovery: { oomKilled: { action: IncreaseMemory, maxMemory: 512Mi } }
  podTemplate:
    annotations:
      fault.agent-operator.dev/inject: OOMKilled
      fault.agent-operator.dev/oom-below-mi: "300"
      fault.agent-operator.dev/delay: 1s
      fault.agent-operator.dev/backoff: 2s
`;

describe('kubectl scale on an Agent running on a raised memory limit', () => {
  const deploymentLimits: string[] = [];
  let watch: { stop(): void } | undefined;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'remediation-scale');
    await startOperator(cluster(), { namespaces: [ns] });
    watch = watchAll<V1Deployment>(cluster().kc, `/apis/apps/v1/namespaces/${ns}/deployments`, (d) => {
      const limit = d.spec?.template.spec?.containers[0]?.resources?.limits?.['memory'] as string | undefined;
      if (limit !== undefined && deploymentLimits.at(-1) !== limit) deploymentLimits.push(limit);
    });
  });

  after(() => watch?.stop());

  it('keeps the memory override through the scale subresource, and clears it on a new image', async () => {
    await apply(cluster(), ns, { yaml: agentYaml });
    const raised = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.recovery?.memoryLimit, '356Mi', JSON.stringify(a.status?.recovery));
      return a;
    }, { timeoutMs: 90_000, message: 'the OOM kill raised the limit to 356Mi' });
    await waitReady(cluster(), ns, name, 90_000);
    const generation = raised.metadata.generation ?? 0;

    const scaled = await cluster().kubectl(['scale', 'agent', name, '-n', ns, '--replicas=2']);
    assert.equal(scaled.code, 0, scaled.stderr);
    const after = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.spec.replicas, 2);
      assert.ok((a.metadata.generation ?? 0) > generation, 'the scale bumped the generation');
      assert.equal(a.status?.observedGeneration, a.metadata.generation, 'the operator reconciled the new generation');
      assert.equal(a.status?.readyReplicas, 2, `ready ${a.status?.readyText}`);
      return a;
    }, { timeoutMs: 90_000, message: 'two ready replicas after kubectl scale' });
    // Room for a wrong clear to show: a reconcile, a rollout back to 256Mi and an OOM kill take a few seconds.
    await sleep(8000);
    const still = await getAgent(cluster(), ns, name);
    assert.equal(after.status?.recovery?.memoryLimit, '356Mi');
    assert.equal(still.status?.recovery?.memoryLimit, '356Mi', `recovery after the scale: ${JSON.stringify(still.status?.recovery)}`);
    assert.equal(still.status?.recovery?.generation, still.metadata.generation);
    assert.deepEqual(deploymentLimits, ['256Mi', '356Mi'], 'the Deployment never went back to the limit the agent is killed at');
    assert.deepEqual((await agentEvents(cluster(), ns, name)).filter((e) => e.reason === 'RecoveryCleared').map((e) => e.message), []);

    // A change of the pods' spec does clear it, and says so.
    await patchAgentSpec(cluster(), ns, name, { image: 'registry.example/hungry:1.1' });
    await eventually(async () => {
      const events = await agentEvents(cluster(), ns, name);
      assert.ok(events.some((e) => e.reason === 'RecoveryCleared' && /cleared memory override 356Mi/.test(e.message ?? '')), 'a RecoveryCleared event');
    }, { timeoutMs: 60_000, message: 'the new image cleared the override' });
    assert.equal(deploymentLimits[2], '256Mi', `the new spec runs as written first: ${deploymentLimits.join(', ')}`);
  });
});

// What the operator writes, and what it must not (issue 9, defects 2, 4, 8, 9):
// - an object someone else made under a name an Agent needs is never taken
//   over: it stays as it was and the Agent reports NameConflict;
// - a write the apiserver refuses (here a ValidatingAdmissionPolicy, CEL, no
//   webhook) is reported as ApplyFailed with the apiserver's words;
// - a memory raise a LimitRange refuses is read from the ReplicaSet's
//   FailedCreate, classified, and held instead of pushed further;
// - while a rollout is held (a referenced Secret is missing), a hand edit of
//   the Deployment is reverted to the template the operator last applied.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Agent } from '../../src/api/agent.ts';
import { configHash } from '../../src/desired/configmap.ts';
import { configMapName } from '../../src/desired/names.ts';
import { agentEvents, condition, createAgent, getAgent, waitForEvent, waitReady } from '../support/agents.ts';
import { useCluster } from '../support/cluster.ts';
import { faultInjector, type FaultInjector } from '../support/faults.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';
import { watchAll } from '../support/watch.ts';

const cluster = useCluster();
let ns: string;

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await cluster().kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The object as JSON without what controllers change on their own (status,
 * and with it resourceVersion), plus who has written it: the operator's field
 * manager must never appear.
 */
async function snapshot(kind: string, name: string): Promise<Record<string, unknown>> {
  const obj = JSON.parse(await kubectl(['get', kind, name, '-n', ns, '-o', 'json', '--show-managed-fields'])) as
    { metadata: { managedFields?: { manager: string }[]; resourceVersion?: string }; status?: unknown };
  const { managedFields = [], resourceVersion: _rv, ...metadata } = obj.metadata;
  return { ...obj, metadata, status: undefined, managers: [...new Set(managedFields.map((m) => m.manager))].sort() };
}

// The five cases run at once (describe concurrency): each has its own Agent and
// objects, and the namespace-wide ones touch no other case (the admission policy
// denies only unsigned.example images; the LimitRange's 300Mi max is above the
// default 256Mi limit the other Agents run). Their fixed windows (20 s, 15 s) then
// overlap instead of adding up: 52 s -> ~25 s.
describe('the operator writes only what is its own, and says when it cannot', { concurrency: true }, () => {
  const injectors: FaultInjector[] = [];
  const watches: { stop(): void }[] = [];
  after(async () => {
    for (const w of watches) w.stop();
    for (const i of injectors) await i.stop({ clear: false });
  });

  before(async () => {
    await eventually(() => installCRD(cluster()), { message: 'the Agent CRD installed and Established' });
    ns = await testNamespace(cluster(), 'apply-safety');
    await startOperator(cluster(), { namespaces: [ns] });
  });

  it('leaves a Service, ConfigMap, PVC and PDB it does not own untouched and reports NameConflict naming each', async () => {
    // The rendered config is named by its content: the name Agent "payments" derives for `level: info`.
    const takenConfig = configMapName('payments', configHash('config.yaml', 'level: info\n'));
    // Someone else's objects, under exactly the names Agent "payments" derives.
    await kubectl(['apply', '-n', ns, '-f', '-'], `
apiVersion: v1
kind: Service
metadata: { name: payments }
spec: { selector: { app: payments-api }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ${takenConfig} }
data: { settings.yaml: "owner: payments-team" }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: payments-state, labels: { agent-operator.dev/agent: payments, app.kubernetes.io/managed-by: agent-operator } }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: payments }
spec: { minAvailable: 1, selector: { matchLabels: { app: payments-api } } }
`);
    const kinds = [['service', 'payments'], ['configmap', takenConfig], ['pvc', 'payments-state'], ['pdb', 'payments']] as const;
    // Bound first: the PV binder annotates the claim as it binds.
    await eventually(async () => (await kubectl(['get', 'pvc', 'payments-state', '-n', ns, '-o', 'jsonpath={.status.phase}'])) === 'Bound', { message: 'the claim bound' });
    const before = new Map<string, Record<string, unknown>>();
    for (const [k, n] of kinds) before.set(k, await snapshot(k, n));

    await createAgent(cluster(), ns, 'payments', {
      image: 'registry.example/payments-agent:1.0', replicas: 2,
      ports: [{ name: 'http', containerPort: 9000 }],
      config: { layers: [{ inline: { level: 'info' } }] },
      storage: { size: '1Gi', accessModes: ['ReadWriteMany'] },
    });
    const stalled = await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'payments');
      assert.equal(condition(a, 'Stalled')?.reason, 'NameConflict', JSON.stringify(a.status?.conditions));
      return a;
    }, { message: 'Stalled=True/NameConflict' });
    assert.equal(condition(stalled, 'Stalled')?.status, 'True');
    assert.deepEqual([condition(stalled, 'Ready')?.status, condition(stalled, 'Ready')?.reason], ['False', 'NameConflict']);
    const message = condition(stalled, 'Stalled')!.message;
    for (const text of ['Service payments', `ConfigMap ${takenConfig}`, 'PersistentVolumeClaim payments-state', 'PodDisruptionBudget payments']) {
      assert.ok(message.includes(`${text} already exists and is not this Agent's`), `the condition names ${text}: ${message}`);
    }
    assert.match(message, /label it agent-operator\.dev\/agent=payments and annotate it agent-operator\.dev\/agent-name=payments/);
    const events = await eventually(async () => {
      const list = await agentEvents(cluster(), ns, 'payments');
      assert.ok(list.some((e) => e.reason === 'NameConflict' && e.type === 'Warning'), `events: ${list.map((e) => e.reason).join(', ')}`);
      return list;
    }, { message: 'a NameConflict event' });
    assert.match(events.find((e) => e.reason === 'NameConflict')!.message!, /Service payments already exists/);

    // Several reconciles later (a name conflict is retried every 15 s: unwatchedRetryMs), every object is as it was.
    await new Promise((r) => setTimeout(r, 20_000));
    for (const [k, n] of kinds) {
      const now = await snapshot(k, n);
      assert.deepEqual(now, before.get(k), `${k} ${n} untouched (selector, data, labels, ownerReferences)`);
      assert.ok(!(now['managers'] as string[]).includes('agent-operator'), `${k} ${n} never written by the operator`);
      assert.equal((now['metadata'] as { ownerReferences?: unknown }).ownerReferences, undefined, `${k} ${n} has no owner`);
    }
    // The pods would mount someone else's ConfigMap and claim: no Deployment either.
    const deployments = await cluster().apps.listNamespacedDeployment({ namespace: ns, labelSelector: 'agent-operator.dev/agent=payments' });
    assert.equal(deployments.items.length, 0, 'no Deployment while its ConfigMap and claim are someone else\'s');
  });

  it('with only its Service name taken, still runs the Deployment and reports the Service', async () => {
    await kubectl(['create', 'service', 'clusterip', 'ledger', '--tcp=80:8080', '-n', ns]);
    const service = await snapshot('service', 'ledger');
    await createAgent(cluster(), ns, 'ledger', { image: 'registry.example/ledger-agent:1.0', ports: [{ name: 'http', containerPort: 9000 }] });
    const a = await eventually(async () => {
      const x = await getAgent(cluster(), ns, 'ledger');
      assert.equal(condition(x, 'Stalled')?.reason, 'NameConflict', JSON.stringify(x.status?.conditions));
      assert.equal(x.status?.readyReplicas, 1, 'the agent pod runs');
      return x;
    }, { message: 'ledger runs and reports its Service conflict' });
    assert.match(condition(a, 'Stalled')!.message, /Service ledger already exists/);
    assert.deepEqual(await snapshot('service', 'ledger'), service, 'the Service is untouched');
  });

  it('reports a Deployment an admission policy denies as ApplyFailed with the apiserver\'s message, and recovers when it allows it', async () => {
    await kubectl(['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: ${ns}-no-unsigned }
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{ apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments] }]
  validations:
    - expression: "object.spec.template.spec.containers.all(c, !c.image.startsWith('unsigned.example/'))"
      message: "images from unsigned.example are not allowed here"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: ${ns}-no-unsigned }
spec:
  policyName: ${ns}-no-unsigned
  validationActions: [Deny]
  matchResources: { namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ${ns} } } }
`);
    // The policy takes effect once the apiserver has loaded it: probe with a dry run.
    await eventually(async () => {
      const r = await cluster().kubectl(['create', 'deployment', 'probe', '--image=unsigned.example/x:1', '-n', ns, '--dry-run=server']);
      assert.notEqual(r.code, 0, 'the policy denies');
    }, { message: 'the admission policy in force' });

    await createAgent(cluster(), ns, 'unsigned', { image: 'unsigned.example/agent:1.0' });
    const failed = await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'unsigned');
      assert.equal(condition(a, 'Ready')?.reason, 'ApplyFailed', JSON.stringify(a.status?.conditions));
      return a;
    }, { message: 'Ready=False/ApplyFailed' });
    assert.equal(failed.status?.observedGeneration, 1, 'the status is current');
    const stalled = condition(failed, 'Stalled')!;
    assert.deepEqual([stalled.status, stalled.reason], ['True', 'ApplyFailed']);
    assert.match(stalled.message, /applying Deployment unsigned was refused \(HTTP 422 Invalid\): .*images from unsigned\.example are not allowed here/);
    const event = await waitForEvent(cluster(), ns, 'unsigned', 'ApplyFailed');
    assert.equal(event.type, 'Warning');
    assert.match(event.message!, /images from unsigned\.example are not allowed here/);

    await kubectl(['patch', 'agent', 'unsigned', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { image: 'signed.example/agent:1.0' } })]);
    const ready = await waitReady(cluster(), ns, 'unsigned');
    assert.equal(condition(ready, 'Stalled')?.status, 'False');
  });

  it('holds a memory raise a LimitRange refuses, classified as LimitRangeViolation from the ReplicaSet\'s FailedCreate', async () => {
    await kubectl(['apply', '-n', ns, '-f', '-'], `
apiVersion: v1
kind: LimitRange
metadata: { name: memory-cap }
spec: { limits: [{ type: Container, max: { memory: 300Mi } }] }
`);
    const limits: string[] = [];
    watches.push(watchAll<Agent>(cluster().kc, `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, (a) => {
      const m = a.metadata.name === 'capped' ? a.status?.recovery?.memoryLimit : undefined;
      if (m !== undefined && limits.at(-1) !== m) limits.push(m);
    }));
    injectors.push(faultInjector(cluster().core, ns, 'agent-operator.dev/agent=capped', 'OOMKilled', { delay: '1s', backoff: '2s' }));
    await createAgent(cluster(), ns, 'capped', {
      image: 'registry.example/capped:1.0',
      resources: { limits: { memory: '256Mi' } },
      recovery: { oomKilled: { action: 'IncreaseMemory', maxMemory: '1Gi' } },
    });

    const held = await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'capped');
      assert.equal(condition(a, 'Degraded')?.reason, 'LimitRangeViolation', JSON.stringify(condition(a, 'Degraded')));
      assert.equal(a.status?.recovery?.lastAction, 'Hold', JSON.stringify(a.status?.recovery));
      return a;
    }, { timeoutMs: 120_000, message: 'the refused raise classified and held' });
    assert.equal(held.status?.recovery?.memoryLimit, '356Mi');
    const diagnosis = /the memory raise to 356Mi is refused by a LimitRange .*maximum memory usage per Container is 300Mi.*the operator holds the raise.*raise the LimitRange's max/;
    assert.match(condition(held, 'Degraded')!.message, diagnosis);
    assert.match(condition(held, 'Stalled')!.message, diagnosis, 'Stalled says why the operator holds');
    const event = await waitForEvent(cluster(), ns, 'capped', 'LimitRangeViolation');
    assert.equal(event.type, 'Warning');
    assert.match(event.message!, diagnosis);

    // Held: the kills go on at the old limit, and the operator raises no further.
    await new Promise((r) => setTimeout(r, 15_000));
    assert.deepEqual(limits, ['356Mi'], 'one raise, then held');
    const d = await cluster().apps.readNamespacedDeployment({ name: 'capped', namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0]?.resources?.limits?.['memory'], '356Mi', 'the raise stays in the Deployment, waiting for the LimitRange');
  });

  it('while the rollout is held for a missing Secret, reverts a hand edit of the Deployment to the template it last applied', async () => {
    await kubectl(['create', 'secret', 'generic', 'held-token', '--from-literal=token=t0', '-n', ns]);
    await createAgent(cluster(), ns, 'held', {
      image: 'registry.example/held:1.0',
      env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'held-token', key: 'token' } } }],
    });
    await waitReady(cluster(), ns, 'held');
    await kubectl(['delete', 'secret', 'held-token', '-n', ns]);
    await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'held');
      assert.equal(condition(a, 'Ready')?.reason, 'SecretNotFound', JSON.stringify(condition(a, 'Ready')));
    }, { message: 'the rollout held: SecretNotFound' });

    const images: string[] = [];
    watches.push(watchAll<V1Deployment>(cluster().kc, `/apis/apps/v1/namespaces/${ns}/deployments`, (d) => {
      const image = d.metadata?.name === 'held' ? d.spec?.template.spec?.containers[0]?.image : undefined;
      if (image !== undefined && images.at(-1) !== image) images.push(image);
    }));
    await kubectl(['set', 'image', 'deployment/held', 'agent=registry.example/other:6.6', '-n', ns]);
    await eventually(async () => {
      assert.deepEqual(images.slice(-2), ['registry.example/other:6.6', 'registry.example/held:1.0'], `images seen: ${images.join(' -> ')}`);
    }, { message: 'the hand edit reverted' });
    const a = await getAgent(cluster(), ns, 'held');
    assert.equal(condition(a, 'Ready')?.reason, 'SecretNotFound', 'still held');
    const d = await cluster().apps.readNamespacedDeployment({ name: 'held', namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0]?.env?.[0]?.valueFrom?.secretKeyRef?.name, 'held-token', 'the template as applied');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash, type ApplyObject } from '../../../src/desired/desired-hash.ts';
import { probeCreates } from '../../../src/reconcile/gather.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';



const condition = (p: { computed: { conditions?: { type: string; status: string; reason: string; message: string }[] } }, type: string) =>
  p.computed.conditions?.find((c) => c.type === type);

/** A GET that finds `objects` by kind/name. */
const reader = (objects: Record<string, unknown>) => async (ref: { kind: string; name: string }) => objects[`${ref.kind}/${ref.name}`];

describe('plan: names the Agent needs that are taken', () => {
  const full = agent('payments').replicas(2).port('http', 9000).inlineConfig({ level: 'info' }).storage('1Gi').build();

  it('lists every object no cache shows as a create, so its name is read first', () => {
    const p = plan(observed(full));
    assert.deepEqual(p.creates.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service']);
  });

  it('writes none of the objects someone else holds, and reports each with the fix', async () => {
    const foreign = (kind: string, name: string) => ({ kind, metadata: { name, namespace: 'default', uid: `other-${name}` } });
    const creates = plan(observed(full)).creates;
    const configName = creates.find((c) => c.kind === 'ConfigMap')!.metadata.name;
    const o = await probeCreates(observed(full), creates, reader({
      'Service/payments': foreign('Service', 'payments'),
      [`ConfigMap/${configName}`]: foreign('ConfigMap', configName),
      // Labelled as ours, but without the agent-name annotation: not enough to adopt a claim.
      'PersistentVolumeClaim/payments-state': { metadata: { name: 'payments-state', labels: { 'agent-operator.dev/agent': 'payments' } } },
      'PodDisruptionBudget/payments': foreign('PodDisruptionBudget', 'payments'),
    }));
    const p = plan(o);
    assert.deepEqual(p.apply, [], 'nothing applied: the pods would mount the foreign ConfigMap and claim, so not the Deployment either');
    assert.deepEqual(p.remove, []);
    const stalled = condition(p, 'Stalled')!;
    assert.deepEqual([stalled.status, stalled.reason], ['True', 'NameConflict']);
    assert.match(stalled.message, /Service payments already exists and is not this Agent's \(no controller ownerReference to Agent payments\), so the operator leaves it untouched: delete or rename that Service, or give the Agent another name/);
    assert.match(stalled.message, /PersistentVolumeClaim payments-state .*label it agent-operator\.dev\/agent=payments and annotate it agent-operator\.dev\/agent-name=payments/);
    assert.equal(condition(p, 'Ready')?.reason, 'NameConflict');
    assert.ok(p.events.some((e) => e.reason === 'NameConflict' && e.type === 'Warning'), 'announced');
  });

  it('with only the Service taken, still applies the Deployment and the rest', async () => {
    const a = agent('ledger').port('http', 9000).build();
    const o = await probeCreates(observed(a), plan(observed(a)).creates, reader({ 'Service/ledger': { metadata: { name: 'ledger', ownerReferences: [{ uid: 'someone-else', controller: true }] } } }));
    const p = plan(o);
    assert.deepEqual(p.apply.map((x) => x.kind), ['Deployment']);
    assert.equal(condition(p, 'Stalled')?.reason, 'NameConflict');
  });

  it('treats what it finds with its own controller reference (a cache behind its own create) as live, not as a conflict', async () => {
    const a = agent('fwd').port('http', 2020).build();
    const first = plan(observed(a));
    const svc = withDesiredHash(first.apply.find((x) => x.kind === 'Service')!);
    const o = await probeCreates(observed(a), first.creates, reader({ 'Service/fwd': svc }));
    assert.equal(o.conflicts, undefined);
    assert.ok(!plan(o).apply.some((x) => x.kind === 'Service'), 'already as desired: no write');
  });

  it('treats its own workload found behind a create as the observed workload, so it is not applied again', async () => {
    const a = agent('fwd').build();
    const first = plan(observed(a));
    const workload = withDesiredHash(first.apply.find((x) => x.kind === 'Deployment')!);
    const o = await probeCreates(observed(a), first.creates, reader({ 'Deployment/fwd': workload }));
    assert.equal(o.workload, workload);
    assert.ok(!plan(o).apply.some((x) => x.kind === 'Deployment'), 'already as desired: no write');
  });

  it('adopts a retained claim that has both its label and its agent-name annotation', async () => {
    const a = agent('fwd').storage('1Gi', { retainOnDelete: true }).build();
    const first = plan(observed(a));
    const claim = withDesiredHash(first.apply.find((x) => x.kind === 'PersistentVolumeClaim')!);
    const o = await probeCreates(observed(a), first.creates, reader({ 'PersistentVolumeClaim/fwd-state': claim }));
    assert.equal(o.conflicts, undefined);
  });
});

describe('plan: a held rollout keeps the template last applied', () => {
  const a = agent('held').secretEnv('TOKEN', 'creds', 'token').build();
  const missing = { digests: {}, missing: [{ kind: 'Secret' as const, name: 'creds', key: 'token', optional: false }], configMapTexts: {} };

  function world() {
    const applied = plan(observed(a, { references: { digests: { 'Secret/creds/token': 'd1' }, missing: [], configMapTexts: {} } })).apply.find((o) => o.kind === 'Deployment')!;
    const template = (applied as unknown as V1Deployment).spec!.template;
    const rs = (name: string, created: string, image: string): V1ReplicaSet => ({
      metadata: { name, namespace: 'default', uid: name, creationTimestamp: new Date(created), annotations: { 'deployment.kubernetes.io/revision': name === 'ours' ? '1' : '2' } },
      spec: { replicas: 1, selector: {}, template: { ...structuredClone(template), spec: { ...template.spec!, containers: [{ ...template.spec!.containers[0]!, image }] } } },
    });
    // kubectl set image: the Deployment's template now has another image but still our revision annotation.
    const edited = structuredClone(withDesiredHash(applied)) as unknown as V1Deployment;
    edited.spec!.template.spec!.containers[0]!.image = 'registry.example/other:6.6';
    edited.metadata = { ...edited.metadata, uid: 'd-uid' };
    return { edited, replicaSets: [rs('theirs', '2026-11-27T09:59:00Z', 'registry.example/other:6.6'), rs('ours', '2026-11-27T09:00:00Z', 'example.com/agent:1.0')] };
  }

  it('reverts a hand edit made during the hold to the template of the oldest ReplicaSet with the applied revision', () => {
    const { edited, replicaSets } = world();
    const p = plan(observed(a, { workload: edited, replicaSets, references: missing }));
    const d = p.apply.find((o) => o.kind === 'Deployment') as unknown as V1Deployment | undefined;
    assert.ok(d, 'the Deployment is applied back');
    assert.equal(d.spec?.template.spec?.containers[0]?.image, 'example.com/agent:1.0');
    assert.equal(d.spec?.template.metadata?.labels?.['pod-template-hash'], undefined);
    assert.equal(condition(p, 'Ready')?.reason, 'SecretNotFound', 'still held');
    // Once it holds that template, nothing more is written.
    const settled = withDesiredHash(d as unknown as ApplyObject) as unknown as V1Deployment;
    assert.ok(!plan(observed(a, { workload: settled, replicaSets, references: missing })).apply.some((o) => o.kind === 'Deployment'));
  });

  it('writes nothing while the Deployment still runs the held template (the apiserver\'s defaults and pod-template-hash notwithstanding)', () => {
    const applied = withDesiredHash(plan(observed(a, { references: { digests: { 'Secret/creds/token': 'd1' }, missing: [], configMapTexts: {} } })).apply.find((o) => o.kind === 'Deployment')!) as unknown as V1Deployment;
    // what the apiserver makes of it: defaulted fields in the Deployment's template and the ReplicaSet's copy
    const live = structuredClone(applied);
    live.metadata = { ...live.metadata, uid: 'd-uid' };
    for (const c of live.spec!.template.spec!.containers) Object.assign(c, { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    Object.assign(live.spec!.template.spec!, { dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' });
    const rsTemplate = structuredClone(live.spec!.template);
    rsTemplate.metadata = { ...rsTemplate.metadata, labels: { ...rsTemplate.metadata?.labels, 'pod-template-hash': '5d8f7c' } };
    const rs: V1ReplicaSet = { metadata: { name: 'held-5d8f7c', namespace: 'default', uid: 'rs', creationTimestamp: new Date('2026-11-27T09:00:00Z'), annotations: { 'deployment.kubernetes.io/revision': '1' } }, spec: { replicas: 1, selector: {}, template: rsTemplate } };
    const p = plan(observed(a, { workload: live, replicaSets: [rs], references: missing }));
    assert.ok(!p.apply.some((o) => o.kind === 'Deployment'), 'no apply: it would only rewrite the hash annotation, which bumps a Deployment\'s generation');
    assert.equal(condition(p, 'Ready')?.reason, 'SecretNotFound');
  });

  it('without the ReplicaSet yet, holds the Deployment as it is', () => {
    const { edited } = world();
    const p = plan(observed(a, { workload: edited, references: missing }));
    assert.ok(!p.apply.some((o) => o.kind === 'Deployment'));
  });
});

describe('plan: a memory raise the namespace refuses', () => {
  const a = agent('capped').resources({ limits: { memory: '256Mi' } }).recovery({ oomKilled: { action: 'IncreaseMemory', maxMemory: '1Gi' } }).build();
  const refused = (limit: string, message: string): V1ReplicaSet => ({
    metadata: { name: 'capped-7d9', namespace: 'default', uid: 'rs-2' },
    spec: { replicas: 1, selector: {}, template: { spec: { containers: [{ name: 'agent', image: 'x', resources: { limits: { memory: limit } } }] } } },
    status: { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message, lastTransitionTime: t0 }] },
  });
  const limitRange = 'pods "capped-7d9-x" is forbidden: maximum memory usage per Container is 300Mi, but limit is 356Mi';

  it('is classified LimitRangeViolation, held, and the hold is said', () => {
    const raised: Agent = { ...a, status: { recovery: { generation: 1, memoryLimit: '356Mi', lastAction: 'IncreaseMemory' } } };
    const p = plan(observed(raised, { replicaSets: [refused('356Mi', limitRange)] }));
    assert.equal(p.action.type, 'Hold');
    assert.equal(p.computed.recovery?.lastAction, 'Hold');
    assert.equal(p.computed.recovery?.memoryLimit, '356Mi', 'the raise stays, to roll out once the LimitRange admits it');
    assert.equal(condition(p, 'Degraded')?.reason, 'LimitRangeViolation');
    const event = p.events.find((e) => e.reason === 'LimitRangeViolation');
    assert.match(event?.message ?? '', /the memory raise to 356Mi is refused by a LimitRange of the namespace: ReplicaSet capped-7d9 cannot create pods \(.*maximum memory usage per Container is 300Mi.*\); the operator holds the raise/);
    assert.equal(p.computed.lastFailure?.reason, 'LimitRangeViolation');
  });

  it('a quota refusing pods at the spec\'s own limit is reported, not held', () => {
    const p = plan(observed(a, { replicaSets: [refused('256Mi', 'pods "capped-7d9-x" is forbidden: exceeded quota: mem, requested: limits.memory=256Mi, used: limits.memory=1Gi, limited: limits.memory=1Gi')] }));
    assert.notEqual(p.action.type, 'Hold');
    assert.equal(condition(p, 'Degraded')?.reason, 'QuotaExceeded');
    assert.match(condition(p, 'Degraded')!.message, /ReplicaSet capped-7d9 cannot create pods: a ResourceQuota of the namespace refuses them \(.*exceeded quota: mem.*\): raise the quota/);
  });

  it('ignores other FailedCreate causes and ReplicaSets scaled to zero', () => {
    const other = refused('356Mi', 'pods "x" is forbidden: violates PodSecurity "restricted:latest"');
    const idle = { ...refused('356Mi', limitRange), spec: { ...refused('356Mi', limitRange).spec!, replicas: 0 } };
    const p = plan(observed(a, { replicaSets: [other, idle] }));
    assert.ok(!['QuotaExceeded', 'LimitRangeViolation'].includes(condition(p, 'Degraded')?.reason ?? ''));
  });
});

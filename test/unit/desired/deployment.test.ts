import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { resolveSpec } from '../../../src/desired/defaults.ts';
import { deployment, rollbackTemplate, strategy } from '../../../src/desired/deployment.ts';
import { ownerOf } from '../../../src/desired/meta.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

const base = agent('dep');
const template: V1PodTemplateSpec = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'agent', image: 'x' }] } };
const strategyOf = (b: AgentBuilder) => strategy(resolveSpec(b.build().spec));

describe('deployment', () => {
  const strategies: [string, AgentBuilder, object][] = [
    ['RWO storage forces Recreate', base.storage('1Gi'), { type: 'Recreate' }],
    ['RWOP storage forces Recreate', base.storage('1Gi', { accessModes: ['ReadWriteOncePod'] }), { type: 'Recreate' }],
    ['RWX storage rolls without a gap', base.storage('1Gi', { accessModes: ['ReadWriteMany'] }), { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } }],
    ['no storage rolls without a gap', base, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } }],
  ];
  for (const [title, b, expected] of strategies) {
    it(title, () => assert.deepEqual(strategyOf(b), expected));
  }

  const raised: [number, number][] = [[1, 2], [3, 2], [4, 2], [8, 3]];
  for (const [replicas, surge] of raised) {
    it(`lets ${replicas} replica(s) surge by ${surge} while a memory raise is in force: the spec's 25 % rounded up, plus one for the failing pod the raise replaces`, () => {
      assert.deepEqual(strategy(resolveSpec(base.replicas(replicas).build().spec), { memoryRaised: true }), { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: surge } });
    });
  }

  it('keeps Recreate under a memory raise: a single-node volume cannot be mounted by a surge pod', () => {
    assert.deepEqual(strategy(resolveSpec(base.storage('1Gi').build().spec), { memoryRaised: true }), { type: 'Recreate' });
  });

  it('is owned by the Agent as its controller', () => {
    const a = base.build();
    const d = deployment(ownerOf(a), resolveSpec(a.spec), template);
    assert.deepEqual(d.metadata?.ownerReferences, [{ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', name: 'dep', uid: a.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(d.metadata?.namespace, 'default');
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.kind, 'Deployment');
  });

  it('keeps old ReplicaSets for rollback and gives up progress after 600 s', () => {
    const a = base.build();
    const d = deployment(ownerOf(a), resolveSpec(a.spec), template);
    assert.equal(d.spec?.revisionHistoryLimit, 10);
    assert.equal(d.spec?.progressDeadlineSeconds, 600);
  });

  it('counts a new pod available only after 5 s Ready, so a crash-looping pod Ready for a moment does not complete the rollout', () => {
    const a = base.build();
    assert.equal(deployment(ownerOf(a), resolveSpec(a.spec), template).spec?.minReadySeconds, 5);
  });

  it('runs spec.replicas, or none while held for dependencies', () => {
    const a = base.replicas(3).storage('1Gi', { accessModes: ['ReadWriteMany'] }).build();
    assert.equal(deployment(ownerOf(a), resolveSpec(a.spec), template).spec?.replicas, 3);
    assert.equal(deployment(ownerOf(a), resolveSpec(a.spec), template, { holdForDependencies: true }).spec?.replicas, 0);
  });

  it('selects by name only, so no spec change can touch the immutable selector', () => {
    const one = base.build();
    const two = base.image('other:2').replicas(2).podTemplate({ labels: { team: 'x' } }).build();
    assert.deepEqual(
      deployment(ownerOf(one), resolveSpec(one.spec), template).spec?.selector,
      deployment(ownerOf(two), resolveSpec(two.spec), template).spec?.selector,
    );
  });

  it('refuses to build from an Agent without a uid', () => {
    const a = base.build();
    delete a.metadata.uid;
    assert.throws(() => ownerOf(a), /has no metadata.namespace or metadata.uid/);
  });
});

describe('rollbackTemplate', () => {
  const old: V1PodTemplateSpec = {
    metadata: { labels: { 'pod-template-hash': '5d4f8c7b9', team: 'obs' }, annotations: { 'agent-operator.dev/revision': 'aaaaaaaaaa' } },
    spec: { containers: [{ name: 'agent', image: 'old:1' }] },
  };

  it('drops pod-template-hash, keeps the old revision and forces the selector labels', () => {
    const t = rollbackTemplate(ownerOf(base.build()), old);
    assert.equal(t.metadata?.labels?.['pod-template-hash'], undefined);
    assert.equal(t.metadata?.labels?.team, 'obs');
    assert.equal(t.metadata?.labels?.['agent-operator.dev/agent'], 'dep');
    assert.equal(t.metadata?.annotations?.['agent-operator.dev/revision'], 'aaaaaaaaaa');
    assert.equal(t.spec?.containers[0]?.image, 'old:1');
  });

  it('runs the rolled-back template at the memory override in force, raising nothing else', () => {
    const sized: V1PodTemplateSpec = { ...old, spec: { containers: [{ name: 'agent', image: 'old:1', resources: { requests: { cpu: '100m', memory: '600Mi' }, limits: { memory: '256Mi' } } }] } };
    const t = rollbackTemplate(ownerOf(base.build()), sized, '512Mi');
    assert.deepEqual(JSON.parse(JSON.stringify(t.spec?.containers[0]?.resources)), { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '512Mi' } });
    assert.deepEqual(rollbackTemplate(ownerOf(base.build()), sized).spec?.containers[0]?.resources?.limits, { memory: '256Mi' });
  });

  it('does not change the template it was given', () => {
    const before = structuredClone(old);
    rollbackTemplate(ownerOf(base.build()), old);
    assert.deepEqual(old, before);
  });
});

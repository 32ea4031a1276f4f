import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash } from '../../../src/desired/desired-hash.ts';
import { objectsFrom } from '../../../src/desired/index.ts';
import type { Observed } from '../../../src/reconcile/gather.ts';
import { plan, type Plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';
import { PodBuilder } from '../health/pod-fixtures.ts';

// Decide, then build: the recovery decision needs only the observed state and
// the revision, so plan builds the objects it writes once, from the decision,
// and never builds them to throw them away (issue 16 point 1).

/** The plan of `o` and how many times it built the desired objects. */
function counted(o: Observed): { p: Plan; builds: number } {
  let builds = 0;
  const p = plan(o, { buildObjects: (...args) => { builds++; return objectsFrom(...args); } });
  return { p, builds };
}

const deploymentOf = (p: Plan): V1Deployment | undefined => p.apply.find((o) => o.kind === 'Deployment') as V1Deployment | undefined;

/** What the apiserver stores of the Deployment `a`'s first plan applies. */
function storedDeployment(a: Agent, over: Partial<Observed> = {}): V1Deployment {
  const applied = structuredClone(withDesiredHash(plan(observed(a, over)).apply.find((o) => o.kind === 'Deployment')!)) as V1Deployment;
  return { ...applied, metadata: { ...applied.metadata, uid: 'deploy-uid', generation: 1 } };
}

describe('plan builds the desired objects once per reconcile', () => {
  it('for a new Agent', () => {
    const { p, builds } = counted(observed(agent('fwd').port('http', 2020).build()));
    assert.ok(deploymentOf(p));
    assert.equal(builds, 1);
  });

  it('when it decides a memory raise: the Deployment it applies carries the raise', () => {
    const a = agent('fwd').resources({ limits: { memory: '64Mi' } }).recovery({ oomKilled: { action: 'IncreaseMemory', maxMemory: '1Gi' } }).build();
    const dying = new PodBuilder('fwd-a').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build();
    const { p, builds } = counted(observed(a, { workload: storedDeployment(a), pods: [dying] }));
    assert.equal(p.action.type, 'IncreaseMemory');
    assert.notEqual(deploymentOf(p)?.spec?.template.spec?.containers[0]?.resources?.limits?.memory, '64Mi');
    assert.equal(builds, 1);
  });

  it('when a raise in force waits for a healthy pod of another revision (minReadySeconds kept)', () => {
    const release = agent('fwd').image('registry.example/agent:v2').resources({ limits: { memory: '64Mi' } }).build();
    const raised: Agent = { ...release, status: { ...plan(observed(release)).computed, recovery: { generation: 1, memoryLimit: '384Mi', lastAction: 'IncreaseMemory' } } };
    const serving = new PodBuilder('fwd-old').revision('old').build();
    const dying = new PodBuilder('fwd-a').revision('new').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build();
    const { p, builds } = counted(observed(raised, { workload: storedDeployment(release), pods: [serving, dying], now: new Date(t0.getTime() + 60_000) }));
    assert.equal(deploymentOf(p)?.spec?.minReadySeconds, 5);
    assert.equal(builds, 1);
  });

  it('when a held rollout reverts a hand edit to the template last applied', () => {
    const a = agent('fwd').secretEnv('API_TOKEN', 'creds', 'token').build();
    const resolved = { references: { digests: { 'Secret/creds/token': 'd1' }, missing: [], configMapTexts: {} } };
    const ours = storedDeployment(a, resolved);
    const edited = structuredClone(ours);
    edited.spec!.template.spec!.containers[0]!.image = 'registry.example/other:6.6';
    const rs: V1ReplicaSet = { metadata: { name: 'fwd-1', namespace: 'default', uid: 'rs-1', creationTimestamp: new Date('2026-11-27T09:00:00Z') }, spec: { selector: {}, template: ours.spec!.template } };
    const missing = { references: { digests: {}, missing: [{ kind: 'Secret' as const, name: 'creds', key: 'token', optional: false }], configMapTexts: {} } };
    const { p, builds } = counted(observed(a, { workload: edited, replicaSets: [rs], ...missing }));
    assert.equal(deploymentOf(p)?.spec?.template.spec?.containers[0]?.image, ours.spec!.template.spec!.containers[0]!.image);
    assert.equal(builds, 1);
  });
});

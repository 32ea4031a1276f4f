import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash } from '../../../src/desired/desired-hash.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';
import { PodBuilder } from '../health/pod-fixtures.ts';

// A memory raise's rollout counts its pods available the moment they are
// Ready (minReadySeconds 0) only when nothing healthy is serving: found by
// make chaos on the real node, where a release with too little memory was
// raised while the previous release's pod still served, the raised pod (still
// too small) was Ready for a moment between kills, and the Deployment
// controller took the healthy old pod down for about 10 s.

/** The Deployment our apply stored for `a`, rolled out. */
function storedDeployment(a: Agent): V1Deployment {
  const applied = withDesiredHash(plan(observed(a)).apply.find((o) => o.kind === 'Deployment')!) as unknown as V1Deployment;
  return {
    ...applied, metadata: { ...applied.metadata, uid: 'deploy-uid', generation: 1 },
    status: { observedGeneration: 1, replicas: 2, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  };
}

/** The Deployment the plan applies, with the raise to 384Mi in force. */
function raisedDeployment(pods: ReturnType<PodBuilder['build']>[]): V1Deployment {
  const release = agent('fwd').image('registry.example/agent:v2').resources({ limits: { memory: '64Mi' } }).build();
  const first = plan(observed(release));
  const raised: Agent = { ...release, status: { ...first.status!, recovery: { generation: 1, memoryLimit: '384Mi', lastAction: 'IncreaseMemory' } } };
  const p = plan(observed(raised, { workload: storedDeployment(release), pods, now: new Date(t0.getTime() + 60_000) }));
  const deployment = p.apply.find((o) => o.kind === 'Deployment') as V1Deployment | undefined;
  assert.ok(deployment, 'the raise is applied');
  assert.equal(deployment.spec?.template.spec?.containers[0]?.resources?.limits?.memory, '384Mi');
  return deployment;
}

const minReadyWith = (pods: ReturnType<PodBuilder['build']>[]) => raisedDeployment(pods).spec?.minReadySeconds;

describe('plan: a memory raise never replaces healthy pods with pods Ready for a moment', () => {
  it('counts the raised pods available at once when every pod is being OOM-killed (nothing healthy to protect)', () => {
    const dying = new PodBuilder('fwd-a').revision('new').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build();
    assert.equal(minReadyWith([dying]), 0);
  });

  it('keeps the 5 s wait while a Ready pod of another revision, with no failure, still serves', () => {
    const serving = new PodBuilder('fwd-old').revision('old').build();
    const dying = new PodBuilder('fwd-a').revision('new').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build();
    assert.equal(minReadyWith([serving, dying]), 5);
  });

  it('does not count a Ready pod that is itself failing as healthy', () => {
    const flapping = new PodBuilder('fwd-old').revision('old').oomKilled({ shownAs: 'running', ready: true, restartCount: 3 }).build();
    const dying = new PodBuilder('fwd-a').revision('new').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build();
    assert.equal(minReadyWith([flapping, dying]), 0);
  });

  it('lets the raised pod start beside the pod still serving and the failing pod it replaces, instead of after the failing pod is scaled away', () => {
    // One replica surges by one pod: the serving old pod and the OOM-killed
    // new one fill that, so the Deployment controller had to scale the killed
    // pod's ReplicaSet down in one sync and start the raised pod in the next.
    const serving = new PodBuilder('fwd-old').revision('old').build();
    const dying = new PodBuilder('fwd-a').revision('new').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build();
    assert.deepEqual(raisedDeployment([serving, dying]).spec?.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } });
    const release = agent('fwd').image('registry.example/agent:v2').resources({ limits: { memory: '64Mi' } }).build();
    assert.deepEqual((plan(observed(release)).apply.find((o) => o.kind === 'Deployment') as V1Deployment).spec?.strategy?.rollingUpdate?.maxSurge, '25%', 'the spec\'s own rollouts surge as before');
  });
});

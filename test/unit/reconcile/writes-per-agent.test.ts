import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash, type ApplyObject } from '../../../src/desired/desired-hash.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

// The writes a new Agent costs from its create until it is settled (Ready,
// its revision recorded healthy), reconcile by reconcile as the Deployment
// controller and the kubelet move it along: what `make bench` reports as
// "writes per new Agent", taken from plan alone (act writes exactly the plan).

const later = (s: number) => new Date(t0.getTime() + s * 1000);

/** The Deployment as the apiserver stores our apply, with the status the Deployment controller gives it. */
function deploymentAt(d: ApplyObject, s: { replicas: number; updated: number; ready: number; progressing: string; available: boolean }): V1Deployment {
  const obj = withDesiredHash(d) as unknown as V1Deployment;
  return {
    ...obj,
    metadata: { ...obj.metadata, uid: 'deploy-uid', generation: 1 },
    status: {
      observedGeneration: 1, replicas: s.replicas, updatedReplicas: s.updated, readyReplicas: s.ready, availableReplicas: s.ready,
      ...(s.replicas > s.ready ? { unavailableReplicas: s.replicas - s.ready } : {}),
      conditions: [
        { type: 'Available', status: s.available ? 'True' : 'False', reason: s.available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' },
        { type: 'Progressing', status: 'True', reason: s.progressing },
      ],
    },
  };
}

function pod(revision: string, ready: boolean, at: Date): V1Pod {
  return {
    metadata: { name: 'fwd-abc', uid: 'pod-uid', namespace: 'default', annotations: { 'agent-operator.dev/revision': revision } },
    spec: { containers: [{ name: 'agent', image: 'example.com/agent:1.0' }], nodeName: 'node-1' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at }, { type: 'PodScheduled', status: 'True' }],
      containerStatuses: [{ name: 'agent', ready, restartCount: 0, image: 'example.com/agent:1.0', imageID: '', started: true, state: { running: { startedAt: at } } }],
    },
  };
}

describe('writes per new Agent', () => {
  it('a new Agent costs at most 4 writes from create to settled, events included', () => {
    let a: Agent = agent('fwd').build();
    const writes: string[] = [];
    const step = (name: string, o: Parameters<typeof observed>[1]) => {
      const p = plan(observed(a, o));
      for (const obj of p.apply) writes.push(`${name}: apply ${obj.kind}`);
      if (p.status) writes.push(`${name}: status`);
      for (const e of p.events) writes.push(`${name}: event ${e.type} ${e.reason}`);
      if (p.status) a = { ...a, metadata: { ...a.metadata, resourceVersion: String(writes.length) }, status: p.status };
      return p;
    };
    const first = step('created', {});
    const d = first.apply.find((o) => o.kind === 'Deployment')!;
    const revision = first.status!.revision!;
    step('pod created', { workload: deploymentAt(d, { replicas: 1, updated: 1, ready: 0, progressing: 'NewReplicaSetCreated', available: false }), now: later(1) });
    step('pod running', { workload: deploymentAt(d, { replicas: 1, updated: 1, ready: 0, progressing: 'ReplicaSetUpdated', available: false }), pods: [pod(revision, false, later(2))], now: later(2) });
    const readyWorld = (s: number) => ({ workload: deploymentAt(d, { replicas: 1, updated: 1, ready: 1, progressing: 'NewReplicaSetAvailable', available: true }), pods: [pod(revision, true, later(3))], now: later(s) });
    step('pod ready', readyWorld(3));
    for (const s of [18, 33, 48, 63]) step(`requeue at ${s} s`, readyWorld(s));
    assert.equal(a.status?.lastHealthyRevision, revision, `settled: ${writes.join('; ')}`);
    assert.ok(writes.length <= 4, `${writes.length} writes: ${writes.join('; ')}`);
  });
});

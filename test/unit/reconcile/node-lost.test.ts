import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { nodeView } from '../../../src/health/node-lost.ts';
import { withDesiredHash, type ApplyObject } from '../../../src/desired/desired-hash.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { OwnPodDeletions } from '../../../src/reconcile/own-pod-deletions.ts';
import type { Workload } from '../../../src/desired/workload.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

const later = (s: number) => new Date(t0.getTime() + s * 1000);

// The node lifecycle controller lost kwok-node-1 at t0: Ready Unknown, tainted
// unreachable, and turned the pod's Ready condition False; the pod still says Running.
const lostNode = nodeView('kwok-node-1', {
  metadata: { name: 'kwok-node-1' },
  spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t0 }] },
  status: { conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: t0 }] },
} as V1Node);

function podOnLostNode(name: string): V1Pod {
  return {
    metadata: { name, uid: `${name}-uid`, namespace: 'default', annotations: { 'agent-operator.dev/revision': 'r' } },
    spec: { nodeName: 'kwok-node-1', containers: [{ name: 'agent', image: 'example.com/agent:1.0' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: t0 }, { type: 'PodScheduled', status: 'True' }],
      containerStatuses: [{ name: 'agent', ready: true, restartCount: 0, image: 'example.com/agent:1.0', imageID: '', state: { running: { startedAt: later(-600) } } }],
    },
  };
}

describe('a pod on a lost node', () => {
  it('is reported as NodeLost naming the node, in status and in a Warning event', () => {
    const p = plan(observed(agent('fwd').build(), { pods: [podOnLostNode('fwd-abc')], nodes: [lostNode], now: later(5) }));
    assert.equal(p.status?.lastFailure?.reason, 'NodeLost');
    assert.match(p.status?.lastFailure?.message ?? '', /pod fwd-abc is on a lost node: node kwok-node-1 has stopped reporting/);
    const event = p.events.find((e) => e.reason === 'NodeLost');
    assert.equal(event?.type, 'Warning');
    assert.match(event?.message ?? '', /kwok-node-1/);
  });

  it('is not remediated: no pod deletion, however long it lasts (Kubernetes evicts it after its toleration)', () => {
    const a = agent('fwd').build();
    let status = undefined;
    for (const s of [5, 20, 60, 300, 900]) {
      const withStatus = status ? { ...a, status } : a;
      const p = plan(observed(withStatus, { pods: [podOnLostNode('fwd-abc')], nodes: [lostNode], now: later(s) }));
      assert.equal(p.deletePod, undefined, `at ${s}s`);
      assert.equal(p.action.type, 'None', `at ${s}s`);
      status = p.status ?? status;
    }
  });

  it('without the node read (no nodes get) is no NodeLost', () => {
    const p = plan(observed(agent('fwd').build(), { pods: [podOnLostNode('fwd-abc')], now: later(5) }));
    assert.notEqual(p.status?.lastFailure?.reason, 'NodeLost');
  });
});

describe('a Deployment pod evicted from a lost node', () => {
  /** The Deployment as stored after the operator's apply, with its replicas all ready again. */
  const stored = (d: ApplyObject): Workload => {
    const obj = withDesiredHash(d) as unknown as Workload;
    return { ...obj, metadata: { ...obj.metadata, uid: 'deploy-uid', generation: 1 }, status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } } as Workload;
  };

  // Found by the node-loss e2e (test/e2e/cluster-script.test.ts): the evicted pod stays
  // Terminating for as long as the node is away (nobody confirms its end), so the Agent
  // stayed Ready=False/NodeLost with its replacement Ready on another node.
  it('no longer holds the Agent: once its replacement is Ready elsewhere the Agent is Ready, the loss stays in lastFailure', () => {
    const a = agent('fwd').build();
    const first = plan(observed(a));
    const revision = first.status!.revision!;
    const workload = stored(first.apply.find((o) => o.kind === 'Deployment')!);
    const evicted = podOnLostNode('fwd-abc');
    evicted.metadata = { ...evicted.metadata, deletionTimestamp: later(5), annotations: { 'agent-operator.dev/revision': revision } };
    const replacement = podOnLostNode('fwd-xyz');
    replacement.metadata = { ...replacement.metadata, annotations: { 'agent-operator.dev/revision': revision } };
    replacement.spec = { ...replacement.spec!, nodeName: 'kwok-node-2' };
    replacement.status = { ...replacement.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: later(20) }, { type: 'PodScheduled', status: 'True' }] };
    const lostEarlier = plan(observed(a, { workload, pods: [{ ...evicted, metadata: { ...evicted.metadata, deletionTimestamp: undefined } }], nodes: [lostNode], now: later(3) }));
    assert.equal(lostEarlier.status?.lastFailure?.reason, 'NodeLost');
    const p = plan(observed({ ...a, status: lostEarlier.status! }, { workload, pods: [evicted, replacement], nodes: [lostNode], now: later(30) }));
    const ready = (p.status ?? lostEarlier.status)?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', `${ready?.reason}: ${ready?.message}`);
    assert.equal((p.status ?? lostEarlier.status)?.lastFailure?.reason, 'NodeLost');
    assert.equal(p.deletePod, undefined);
  });
});

describe('a StatefulSet pod on a gone node', () => {
  const statefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'fwd', namespace: 'default', uid: 'sts-uid' }, spec: { replicas: 1 } } as unknown as Workload;
  const sts = (release?: 'ForceDelete') => agent('fwd').mode('StatefulSet').spec({ failover: { nodeGoneSeconds: 60, ...(release ? { releaseStatefulPods: release } : {}) } }).build();

  it('is force-deleted (grace 0) under releaseStatefulPods: ForceDelete once the node has been lost for nodeGoneSeconds, with a Warning naming the risk', () => {
    const early = plan(observed(sts('ForceDelete'), { workload: statefulSet, pods: [podOnLostNode('fwd-0')], nodes: [lostNode], now: later(59) }));
    assert.equal(early.deletePod, undefined, 'not before nodeGoneSeconds');
    assert.equal(early.requeueAfterMs, 1_000, 'back the moment it is due, not at the next periodic pass');
    const p = plan(observed(sts('ForceDelete'), { workload: statefulSet, pods: [podOnLostNode('fwd-0')], nodes: [lostNode], now: later(61) }));
    assert.deepEqual(p.deletePod, { name: 'fwd-0', uid: 'fwd-0-uid', force: true });
    const e = p.events.find((x) => x.reason === 'StatefulPodReleased');
    assert.match(e?.message ?? '', /force-deleted pod fwd-0: node kwok-node-1 has been lost for 61s.*two copies run/);
    assert.equal(p.computed.recovery?.podDeletions?.length, 1, 'counted with the operator\'s other pod deletions');
  });

  it('is released once: a reconcile before the pod informer shows the force delete plans no second one', () => {
    const o = observed(sts('ForceDelete'), { workload: statefulSet, pods: [podOnLostNode('fwd-0')], nodes: [lostNode], now: later(61) });
    const first = plan(o);
    const own = new OwnPodDeletions();
    own.deleted(first.deletePod!.uid, later(61).getTime(), first.deletePod!.force);
    const stale = plan({ ...o, agent: { ...o.agent, status: first.computed }, pods: own.view(o.pods, later(62).getTime()), now: later(62) });
    assert.equal(stale.deletePod, undefined);
    assert.equal(stale.computed.recovery?.podDeletions?.length, 1);
  });

  it('in Deployment mode with a ReadWriteOnce volume (Recreate), the evicted pod is released too: Recreate waits for it to be gone', () => {
    const recreate = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fwd', namespace: 'default', uid: 'd-uid' }, spec: { replicas: 1, strategy: { type: 'Recreate' } } } as unknown as Workload;
    const rwo = agent('fwd').spec({ storage: { size: '1Gi' }, failover: { nodeGoneSeconds: 60, releaseStatefulPods: 'ForceDelete' } }).build();
    const evicted = podOnLostNode('fwd-abc');
    evicted.metadata = { ...evicted.metadata, deletionTimestamp: later(30) };
    const p = plan(observed(rwo, { workload: recreate, pods: [evicted], nodes: [lostNode], now: later(61) }));
    assert.deepEqual(p.deletePod, { name: 'fwd-abc', uid: 'fwd-abc-uid', force: true });
    assert.match(p.events.find((x) => x.reason === 'StatefulPodReleased')?.message ?? '', /force-deleted pod fwd-abc.*the Deployment starts its replacement/);
    const rolling = { ...recreate, spec: { replicas: 1, strategy: { type: 'RollingUpdate' } } } as unknown as Workload;
    assert.equal(plan(observed(rwo, { workload: rolling, pods: [evicted], nodes: [lostNode], now: later(61) })).deletePod, undefined, 'a rolling Deployment replaces an evicted pod by itself');
  });

  it('stays by default (Never): Kubernetes leaves it to a human, and so does the operator', () => {
    const p = plan(observed(sts(), { workload: statefulSet, pods: [podOnLostNode('fwd-0')], nodes: [lostNode], now: later(3600) }));
    assert.equal(p.deletePod, undefined);
    assert.equal(p.status?.lastFailure?.reason, 'NodeLost');
  });
});

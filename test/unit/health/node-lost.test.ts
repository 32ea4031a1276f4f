import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { lost, maxNodesRead, nodeLostFailures, nodesToRead, nodeView, withNodeLost, type NodeView } from '../../../src/health/node-lost.ts';
import type { Failure } from '../../../src/health/failure.ts';
import { diagnose } from '../../../src/health/diagnose.ts';

const t = (s: number) => new Date(Date.UTC(2026, 10, 27, 11, 0, s));

function node(name: string, ready: 'True' | 'False' | 'Unknown', taints: string[] = [], since = t(0)): V1Node {
  return {
    metadata: { name },
    spec: { taints: taints.map((key) => ({ key, effect: 'NoExecute', timeAdded: t(5) })) },
    status: { conditions: [{ type: 'Ready', status: ready, lastTransitionTime: since }] },
  };
}

function pod(name: string, nodeName: string | undefined, o: { ready?: boolean; deleting?: boolean; phase?: string } = {}): V1Pod {
  return {
    metadata: { name, uid: `uid-${name}`, annotations: { 'agent-operator.dev/revision': 'rev1' }, ...(o.deleting ? { deletionTimestamp: t(40) } : {}) },
    spec: { containers: [{ name: 'agent', image: 'x' }], ...(nodeName ? { nodeName } : {}) },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

describe('a lost node', () => {
  const cases: [string, NodeView, string | undefined, string | undefined][] = [
    ['a Ready node without taints is not lost', nodeView('n', node('n', 'True')), undefined, undefined],
    ['Ready Unknown (the kubelet stopped reporting) is lost since the condition changed', nodeView('n', node('n', 'Unknown', ['node.kubernetes.io/unreachable'])), 'has stopped reporting (Ready Unknown)', '2026-11-27T11:00:00Z'],
    ['Ready False (the kubelet says not ready) is lost', nodeView('n', node('n', 'False')), 'is not ready (Ready False)', '2026-11-27T11:00:00Z'],
    ['a lost-node taint on a node still Ready counts, since the taint was added', nodeView('n', node('n', 'True', ['node.kubernetes.io/unreachable'])), 'is tainted node.kubernetes.io/unreachable', '2026-11-27T11:00:05Z'],
    ['a deleted Node object is gone, with no time', nodeView('n', null), 'its Node object is gone', undefined],
    ['other taints mean nothing', nodeView('n', { ...node('n', 'True'), spec: { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] } }), undefined, undefined],
  ];
  for (const [name, view, why, since] of cases) {
    it(name, () => {
      const l = lost(view);
      assert.equal(l?.why, why);
      assert.equal(l?.since, since);
    });
  }
});

describe('the nodes read', () => {
  it('are those of pods not Ready or being deleted, each once, never those of Ready pods or unscheduled ones', () => {
    const pods = [pod('a', 'n1'), pod('b', 'n2', { ready: false }), pod('c', 'n2', { ready: false }), pod('d', 'n3', { deleting: true }), pod('e', undefined, { ready: false })];
    assert.deepEqual(nodesToRead(pods), ['n2', 'n3']);
  });

  it('a converged Agent reads no node', () => {
    assert.deepEqual(nodesToRead([pod('a', 'n1'), pod('b', 'n2')]), []);
  });

  it('are at most maxNodesRead in a fleet-wide outage', () => {
    const pods = Array.from({ length: 50 }, (_, i) => pod(`p${i}`, `n${String(i).padStart(2, '0')}`, { ready: false }));
    assert.equal(nodesToRead(pods).length, maxNodesRead);
  });
});

describe('NodeLost failures', () => {
  const nodes = [nodeView('lost', node('lost', 'Unknown', ['node.kubernetes.io/unreachable'])), nodeView('fine', node('fine', 'True'))];

  it('name the pod and its node, once per pod on a lost node, and nothing for pods on healthy nodes', () => {
    const f = nodeLostFailures([pod('a', 'lost', { ready: false }), pod('b', 'fine', { ready: false })], nodes);
    assert.equal(f.length, 1);
    assert.deepEqual({ reason: f[0]!.reason, pod: f[0]!.pod, node: f[0]!.node, key: f[0]!.key, active: f[0]!.active, revision: f[0]!.revision },
      { reason: 'NodeLost', pod: 'a', node: 'lost', key: 'NodeLost/uid-a', active: true, revision: 'rev1' });
    assert.match(f[0]!.message, /^node lost has stopped reporting \(Ready Unknown\) since 2026-11-27T11:00:00Z$/);
  });

  it('say when the evicted pod waits for the lost node to confirm its deletion', () => {
    const [f] = nodeLostFailures([pod('a', 'lost', { deleting: true })], nodes);
    assert.match(f!.message, /being deleted and waits for the node to confirm it/);
  });

  it('skip a Deployment\'s evicted pod (its replacement is the replica now) but keep a StatefulSet\'s and a DaemonSet\'s (still the replica)', () => {
    const evicted = [pod('a', 'lost', { deleting: true })];
    assert.deepEqual(nodeLostFailures(evicted, nodes, 'Deployment'), []);
    assert.equal(nodeLostFailures(evicted, nodes, 'StatefulSet').length, 1);
    assert.equal(nodeLostFailures(evicted, nodes, 'DaemonSet').length, 1);
    assert.equal(nodeLostFailures([pod('b', 'lost', { ready: false })], nodes, 'Deployment').length, 1, 'not yet evicted: reported');
  });

  it('skip finished pods', () => {
    assert.deepEqual(nodeLostFailures([pod('a', 'lost', { phase: 'Succeeded' })], nodes), []);
  });

  it('replace what the stale pod status showed for that pod, and keep the other pods\' failures', () => {
    const probe = (p: string): Failure => ({ reason: 'ProbeFailure', key: `ProbeFailure/uid-${p}`, active: true, pod: p, podUid: `uid-${p}`, message: 'not ready' });
    const lostOnes = nodeLostFailures([pod('a', 'lost', { ready: false })], nodes);
    const merged = withNodeLost([probe('a'), probe('b')], lostOnes);
    assert.deepEqual(merged.map((f) => `${f.reason}/${f.pod}`), ['ProbeFailure/b', 'NodeLost/a']);
  });

  it('diagnose names the node and says Kubernetes evicts the pod, with the fix', () => {
    const [f] = nodeLostFailures([pod('a', 'lost', { ready: false })], nodes);
    assert.match(diagnose(f!), /^pod a is on a lost node: node lost has stopped reporting .*Kubernetes evicts it once spec\.failover\.nodeLostSeconds has passed.*bring node lost back, or delete the Node object/);
  });
});

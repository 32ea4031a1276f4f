import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { nodeView, type NodeView } from '../../../src/health/node-lost.ts';
import { releaseDueInMs, statefulPodToRelease, type ReleaseInput } from '../../../src/recovery/release-stateful-pod.ts';

const t = (s: number) => new Date(Date.UTC(2026, 10, 27, 11, 0, 0) + s * 1000);

const lostAt = (name: string, s: number): NodeView => nodeView(name, {
  metadata: { name },
  spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t(s) }] },
  status: { conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: t(s) }] },
} as V1Node);
const ready = (name: string): NodeView => nodeView(name, { metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } as V1Node);
const pod = (name: string, nodeName: string): V1Pod => ({ metadata: { name, uid: `uid-${name}` }, spec: { containers: [], nodeName } });

const base: ReleaseInput = {
  kind: 'StatefulSet', policy: 'ForceDelete', nodeGoneSeconds: 60,
  pods: [pod('agent-0', 'n1'), pod('agent-1', 'n2')], nodes: [lostAt('n1', 0), ready('n2')], now: t(90),
};

describe('which StatefulSet pod of a gone node is force-deleted', () => {
  const cases: [string, Partial<ReleaseInput>, string | undefined][] = [
    ['the pod of a node lost for nodeGoneSeconds or longer', {}, 'agent-0'],
    ['none while the node has been lost for less than nodeGoneSeconds', { now: t(59) }, undefined],
    ['one exactly at nodeGoneSeconds', { now: t(60) }, 'agent-0'],
    ['none under the default policy Never', { policy: 'Never' }, undefined],
    ['none in Deployment mode (the ReplicaSet replaces an evicted pod by itself)', { kind: 'Deployment' }, undefined],
    ['a Recreate Deployment\'s pod (its replacement waits for it to be gone)', { kind: 'Deployment', recreate: true }, 'agent-0'],
    ['none when the Node object is deleted (the pod garbage collector removes its pods)', { nodes: [nodeView('n1', null)] }, undefined],
    ['none on a node that came back', { nodes: [ready('n1'), ready('n2')] }, undefined],
    ['the longest-lost first when several nodes are gone, one per reconcile', { nodes: [lostAt('n1', 10), lostAt('n2', 0)] }, 'agent-1'],
  ];
  for (const [name, over, want] of cases) {
    it(name, () => assert.equal(statefulPodToRelease({ ...base, ...over })?.name, want));
  }

  it('says which node and for how long, guarded by the pod uid', () => {
    assert.deepEqual(statefulPodToRelease(base), { name: 'agent-0', uid: 'uid-agent-0', node: 'n1', lostFor: 90 });
  });
});

describe('when the next release is due (plan requeues then, not at the next periodic pass)', () => {
  const cases: [string, Partial<ReleaseInput>, number | undefined][] = [
    ['the moment the node will have been lost nodeGoneSeconds', { now: t(45) }, 15_000],
    ['the earliest of several lost nodes', { now: t(45), nodes: [lostAt('n1', 10), lostAt('n2', 0)] }, 15_000],
    ['none once it is due (it is released now)', {}, undefined],
    ['none under the default policy Never', { now: t(45), policy: 'Never' }, undefined],
    ['none where nothing waits for the node (a rolling Deployment)', { now: t(45), kind: 'Deployment' }, undefined],
    ['none on ready nodes', { now: t(45), nodes: [ready('n1'), ready('n2')] }, undefined],
  ];
  for (const [name, over, want] of cases) {
    it(name, () => assert.equal(releaseDueInMs({ ...base, ...over }), want));
  }
});

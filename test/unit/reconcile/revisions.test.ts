import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ControllerRevision, V1ReplicaSet } from '@kubernetes/client-node';
import { pastRevisions } from '../../../src/reconcile/revisions.ts';

const template = (rev: string) => ({ metadata: { labels: { a: 'b' }, annotations: { 'agent-operator.dev/revision': rev } }, spec: { containers: [{ name: 'agent', image: `img:${rev}` }] } });
// As the DaemonSet and StatefulSet controllers store them: a patch that replaces the template.
const cr = (rev: string, n: number): V1ControllerRevision => ({
  metadata: { name: `w-${n}`, creationTimestamp: new Date(1000 * n) }, revision: n,
  data: { spec: { template: { ...template(rev), $patch: 'replace' } } },
});
const rs = (rev: string, n: number): V1ReplicaSet => ({
  metadata: { name: `w-${n}`, creationTimestamp: new Date(1000 * n), annotations: { 'deployment.kubernetes.io/revision': String(n) } },
  spec: { selector: {}, template: template(rev) },
});

describe('pastRevisions', () => {
  it('reads a DaemonSet\'s earlier templates from its ControllerRevisions, without the patch directive', () => {
    const got = pastRevisions({ workload: { kind: 'DaemonSet' }, replicaSets: [rs('x', 9)], controllerRevisions: [cr('r1', 1), cr('r2', 2)] });
    assert.deepEqual(got, [{ template: template('r1'), created: 1000, number: 1 }, { template: template('r2'), created: 2000, number: 2 }]);
  });
  it('reads a StatefulSet\'s the same way', () => {
    assert.equal(pastRevisions({ workload: { kind: 'StatefulSet' }, replicaSets: [], controllerRevisions: [cr('r1', 1)] })[0]?.template.spec?.containers[0]?.image, 'img:r1');
  });
  it('reads a Deployment\'s from its ReplicaSets and ignores ControllerRevisions', () => {
    assert.deepEqual(pastRevisions({ workload: { kind: 'Deployment' }, replicaSets: [rs('r3', 3)], controllerRevisions: [cr('r1', 1)] }), [{ template: template('r3'), created: 3000, number: 3 }]);
  });
  it('skips a ControllerRevision with no template in it', () => {
    assert.deepEqual(pastRevisions({ workload: { kind: 'DaemonSet' }, replicaSets: [], controllerRevisions: [{ metadata: {}, revision: 1, data: {} }] }), []);
  });
});

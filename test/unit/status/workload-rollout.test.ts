import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1DaemonSet, V1StatefulSet } from '@kubernetes/client-node';
import { readRollout, rolloutHealthy } from '../../../src/status/rollout.ts';
import { desiredPods } from '../../../src/status/workload-rollout.ts';

const ds = (status: Partial<NonNullable<V1DaemonSet['status']>>, generation = 2): V1DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'n', generation },
  spec: { selector: {}, template: { metadata: { annotations: { 'agent-operator.dev/revision': 'r2' } }, spec: { containers: [{ name: 'agent', image: 'img:2' }] } } },
  status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 2, ...status },
});
const sts = (status: Partial<NonNullable<V1StatefulSet['status']>>, generation = 2): V1StatefulSet => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', generation },
  spec: { selector: {}, serviceName: 's', template: { spec: { containers: [{ name: 'agent', image: 'img:1' }] } } },
  status: { replicas: 0, observedGeneration: 2, ...status },
});

describe('a DaemonSet read as a rollout', () => {
  it('counts nodes: desired is what the DaemonSet schedules, not spec.replicas', () => {
    const w = ds({ desiredNumberScheduled: 200, currentNumberScheduled: 200, numberReady: 196, updatedNumberScheduled: 200, numberAvailable: 196, numberMisscheduled: 1 });
    assert.equal(desiredPods(1, w), 200);
    const r = readRollout(w, 200);
    assert.deepEqual(
      { kind: r.kind, replicas: r.replicas, ready: r.readyReplicas, updated: r.updatedReplicas, available: r.availableReplicas, misscheduled: r.misscheduledReplicas, revision: r.revision, image: r.image },
      { kind: 'DaemonSet', replicas: 200, ready: 196, updated: 200, available: 196, misscheduled: 1, revision: 'r2', image: 'img:2' },
    );
  });

  const cases: { name: string; w: V1DaemonSet; complete: boolean; inProgress: boolean; healthy: boolean }[] = [
    { name: 'is complete and healthy when every node runs the updated pod, available', w: ds({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 }), complete: true, inProgress: false, healthy: true },
    { name: 'is in progress while the new revision has not reached every node', w: ds({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2 }), complete: false, inProgress: true, healthy: false },
    { name: 'is no longer in progress once every node is updated: a pod that is not available then is a failure to judge', w: ds({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 }), complete: false, inProgress: false, healthy: false },
    { name: 'is in progress until the controller has seen the latest generation', w: ds({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3, observedGeneration: 1 }), complete: false, inProgress: true, healthy: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const desired = desiredPods(1, c.w);
      const r = readRollout(c.w, desired);
      assert.deepEqual({ complete: r.complete, inProgress: r.inProgress, healthy: rolloutHealthy(r, desired), deadline: r.deadlineExceeded }, { complete: c.complete, inProgress: c.inProgress, healthy: c.healthy, deadline: false });
    });
  }
});

describe('a StatefulSet read as a rollout', () => {
  const cases: { name: string; w: V1StatefulSet; complete: boolean; inProgress: boolean }[] = [
    { name: 'is complete when every replica is updated and available and the revisions met', w: sts({ replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3, currentRevision: 's-b', updateRevision: 's-b' }), complete: true, inProgress: false },
    { name: 'is in progress while ordinals still run the old revision', w: sts({ replicas: 3, readyReplicas: 3, updatedReplicas: 1, availableReplicas: 3, currentRevision: 's-a', updateRevision: 's-b' }), complete: false, inProgress: true },
    { name: 'is not complete while an extra replica is left after a scale-down', w: sts({ replicas: 4, readyReplicas: 4, updatedReplicas: 3, availableReplicas: 4, currentRevision: 's-b', updateRevision: 's-b' }), complete: false, inProgress: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = readRollout(c.w, 3);
      assert.deepEqual({ kind: r.kind, complete: r.complete, inProgress: r.inProgress }, { kind: 'StatefulSet', complete: c.complete, inProgress: c.inProgress });
    });
  }
  it('desires spec.replicas', () => assert.equal(desiredPods(3, sts({})), 3));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { Failure } from '../../../src/health/failure.ts';
import { stuckOrderedPod, type StuckPodInput } from '../../../src/recovery/stuck-ordered-pod.ts';

const pod = (name: string, revision: string, ready: boolean, extra: { deleting?: boolean } = {}): V1Pod => ({
  metadata: { name, uid: `uid-${name}`, annotations: { 'agent-operator.dev/revision': revision }, ...(extra.deleting ? { deletionTimestamp: new Date(0) } : {}) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const failing = (name: string, active = true): Failure => ({ reason: 'CrashLoopBackOff', message: 'exits', key: `uid-${name}/agent`, active, pod: name, podUid: `uid-${name}` });

const base: StuckPodInput = { kind: 'StatefulSet', pods: [pod('wal-0', 'r1', true), pod('wal-1', 'r2', false)], appliedRevision: 'r1', failures: [failing('wal-1')] };

describe('stuckOrderedPod', () => {
  const cases: { name: string; input: StuckPodInput; want: string | undefined }[] = [
    { name: 'picks the failing, unready pod of a revision the StatefulSet no longer runs (rolled back)', input: base, want: 'wal-1' },
    { name: 'picks it when the spec moved on past it too', input: { ...base, pods: [pod('wal-0', 'r2', true), pod('wal-1', 'r1', false)], appliedRevision: 'r2', failures: [failing('wal-1')] }, want: 'wal-1' },
    { name: 'leaves a failing pod of the current revision to the restart policy', input: { ...base, appliedRevision: 'r2' }, want: undefined },
    { name: 'leaves a pod without an active failure: it may still become Ready', input: { ...base, failures: [failing('wal-1', false)] }, want: undefined },
    { name: 'leaves a Ready pod of an old revision: the controller replaces it in its turn', input: { ...base, pods: [pod('wal-1', 'r2', true)] }, want: undefined },
    { name: 'leaves a pod already being deleted', input: { ...base, pods: [pod('wal-1', 'r2', false, { deleting: true })] }, want: undefined },
    { name: 'does nothing for a Deployment or a DaemonSet, whose controllers do not wait on a broken pod', input: { ...base, kind: 'DaemonSet' }, want: undefined },
    {
      name: 'takes the highest ordinal first, the StatefulSet controller\'s own order',
      input: { ...base, pods: [pod('wal-2', 'r2', false), pod('wal-10', 'r2', false), pod('wal-9', 'r2', false)], failures: [failing('wal-2'), failing('wal-10'), failing('wal-9')] },
      want: 'wal-10',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(stuckOrderedPod(c.input)?.name, c.want));
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { forgetAfterMs, OwnPodDeletions } from '../../../src/reconcile/own-pod-deletions.ts';

const pod = (uid: string, deleting = false): V1Pod => ({ metadata: { name: `p-${uid}`, uid, ...(deleting ? { deletionTimestamp: new Date(5) } : {}) } });

describe('OwnPodDeletions', () => {
  const table: { name: string; deleted?: { uid: string; at: number; force?: boolean }; pods: V1Pod[]; now: number; want: { uid: string; deleting: boolean }[] }[] = [
    { name: 'nothing deleted: the pods as cached', pods: [pod('a'), pod('b')], now: 0, want: [{ uid: 'a', deleting: false }, { uid: 'b', deleting: false }] },
    { name: 'a graceful delete the cache has not seen: the pod is terminating', deleted: { uid: 'a', at: 0 }, pods: [pod('a'), pod('b')], now: 1_000, want: [{ uid: 'a', deleting: true }, { uid: 'b', deleting: false }] },
    { name: 'a force delete the cache has not seen: the pod is gone', deleted: { uid: 'a', at: 0, force: true }, pods: [pod('a'), pod('b')], now: 1_000, want: [{ uid: 'b', deleting: false }] },
    { name: 'the replacement under the same name (another uid) is untouched', deleted: { uid: 'a', at: 0, force: true }, pods: [pod('a2')], now: 1_000, want: [{ uid: 'a2', deleting: false }] },
    { name: 'after forgetAfterMs the cache is believed again (the delete did not land)', deleted: { uid: 'a', at: 0 }, pods: [pod('a')], now: forgetAfterMs, want: [{ uid: 'a', deleting: false }] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const d = new OwnPodDeletions();
      if (row.deleted) d.deleted(row.deleted.uid, row.deleted.at, row.deleted.force);
      assert.deepEqual(d.view(row.pods, row.now).map((p) => ({ uid: p.metadata!.uid!, deleting: p.metadata?.deletionTimestamp !== undefined })), row.want);
    });
  }

  it('once the cache shows the deletion, the cached pod is read as it is', () => {
    const d = new OwnPodDeletions();
    d.deleted('a', 0);
    const seen = pod('a', true);
    assert.equal(d.view([seen], 1_000)[0], seen);
    assert.equal(d.view([pod('a')], 2_000)[0]?.metadata?.deletionTimestamp, undefined, 'forgotten once seen');
  });

  it('with nothing remembered, the cached list itself (no copy on every reconcile)', () => {
    const pods = [pod('a')];
    assert.equal(new OwnPodDeletions().view(pods, 0), pods);
  });
});

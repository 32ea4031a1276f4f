import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deletePod, patchPodAnnotations } from '../../../src/kube/pods.ts';
import { conflict, fakeClient, notFound } from './fake-http.ts';

describe('deletePod', () => {
  it('deletes with a uid precondition', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } }));
    assert.equal(await deletePod(client, 'ns', 'p', 'uid-1'), 'deleted');
    const [req] = sent;
    assert.equal(req?.method, 'DELETE');
    assert.equal(req?.url.pathname, '/api/v1/namespaces/ns/pods/p');
    assert.deepEqual((req?.body as { preconditions: unknown }).preconditions, { uid: 'uid-1' });
  });

  it('leaves a replacement pod with the same name alone', async () => {
    const { client } = fakeClient(() => conflict('Precondition failed: UID in precondition: uid-1, UID in object meta: uid-2'));
    assert.equal(await deletePod(client, 'ns', 'p', 'uid-1'), 'replaced');
  });

  it('reports a pod that is already gone', async () => {
    const { client } = fakeClient(() => notFound('pods "p"'));
    assert.equal(await deletePod(client, 'ns', 'p', 'uid-1'), 'gone');
  });

  it('lets other errors through', async () => {
    const { client } = fakeClient(() => ({ status: 403, body: { kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods "p" is forbidden' } }));
    await assert.rejects(deletePod(client, 'ns', 'p', 'uid-1'), /forbidden/);
  });
});

describe('patchPodAnnotations', () => {
  it('takes a pod deleted, replaced (uid mismatch) or refused as gone, and lets other errors through', async () => {
    const answers = [
      notFound('pods "p"'),
      conflict('Precondition failed: UID in precondition: uid-1, UID in object meta: uid-2'),
      { status: 422, body: { kind: 'Status', reason: 'Invalid', code: 422, message: 'Pod "p" is invalid: metadata.uid: Invalid value' } },
    ];
    for (const answer of answers) {
      const { client } = fakeClient(() => answer);
      assert.equal(await patchPodAnnotations(client, 'ns', 'p', 'uid-1', { a: 'b' }), 'gone', `HTTP ${answer.status}`);
    }
    const { client } = fakeClient(() => ({ status: 403, body: { kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods "p" is forbidden' } }));
    await assert.rejects(patchPodAnnotations(client, 'ns', 'p', 'uid-1', { a: 'b' }), /forbidden/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeRequest, KubeResponse, KubeTransport } from '../../../src/runtime/kube-http.ts';
import { LeaseConflictError } from '../../../src/runtime/leader-election.ts';
import { KubeLeaseStore } from '../../../src/runtime/lease-store.ts';

class FakeTransport implements KubeTransport {
  readonly requests: KubeRequest[] = [];
  readonly replies: Array<[number, unknown]> = [];
  async request(req: KubeRequest): Promise<KubeResponse> {
    this.requests.push(req);
    const [status, body] = this.replies.shift() ?? [500, {}];
    return { status, headers: {}, text: async () => JSON.stringify(body), stream: () => null };
  }
}

const signal = new AbortController().signal;
const path = '/apis/coordination.k8s.io/v1/namespaces/sys/leases/op';

describe('KubeLeaseStore', () => {
  it('reads a missing Lease as undefined', async () => {
    const t = new FakeTransport();
    t.replies.push([404, { kind: 'Status', code: 404, reason: 'NotFound' }]);
    assert.equal(await new KubeLeaseStore(t, 'sys', 'op').get(signal), undefined);
    assert.equal(t.requests[0]?.path, path);
  });

  it('creates with POST and updates with PUT carrying the resourceVersion and the metadata others set', async () => {
    const t = new FakeTransport();
    const store = new KubeLeaseStore(t, 'sys', 'op');
    t.replies.push([200, { metadata: { name: 'op', namespace: 'sys', resourceVersion: '7', labels: { team: 'x' } }, spec: { holderIdentity: 'a' } }]);
    t.replies.push([200, { metadata: { name: 'op', namespace: 'sys', resourceVersion: '8' }, spec: { holderIdentity: 'b' } }]);
    const current = await store.get(signal);
    assert.deepEqual(current, { spec: { holderIdentity: 'a' }, resourceVersion: '7' });
    const updated = await store.update({ spec: { holderIdentity: 'b', renewTime: '2026-11-27T11:00:00.123000Z' }, resourceVersion: '7' }, signal);
    assert.equal(updated.resourceVersion, '8');
    const put = t.requests[1]!;
    assert.equal(put.method, 'PUT');
    assert.equal(put.path, path);
    const body = JSON.parse(put.body!);
    assert.deepEqual(body.metadata, { name: 'op', namespace: 'sys', resourceVersion: '7', labels: { team: 'x' } });
    assert.equal(body.spec.renewTime, '2026-11-27T11:00:00.123000Z');

    t.replies.push([201, { metadata: { name: 'op', namespace: 'sys', resourceVersion: '1' }, spec: {} }]);
    await store.create({ holderIdentity: 'c' }, signal);
    assert.equal(t.requests[2]?.method, 'POST');
    assert.equal(t.requests[2]?.path, '/apis/coordination.k8s.io/v1/namespaces/sys/leases');
  });

  it('turns 409 into LeaseConflictError and passes other failures through', async () => {
    const t = new FakeTransport();
    const store = new KubeLeaseStore(t, 'sys', 'op');
    t.replies.push([409, { kind: 'Status', code: 409, reason: 'Conflict' }]);
    await assert.rejects(store.update({ spec: {}, resourceVersion: '1' }, signal), LeaseConflictError);
    t.replies.push([409, { kind: 'Status', code: 409, reason: 'AlreadyExists' }]);
    await assert.rejects(store.create({}, signal), LeaseConflictError);
    t.replies.push([403, { kind: 'Status', code: 403, reason: 'Forbidden' }]);
    await assert.rejects(store.get(signal), (err: Error) => !(err instanceof LeaseConflictError));
  });
});

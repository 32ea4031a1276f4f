import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseConflictError, leaseIO } from '../../../src/kube/leases.ts';
import { microTime, parseTime, rfc3339 } from '../../../src/kube/time.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { conflict, fakeClient, notFound } from './fake-http.ts';

const at = Date.UTC(2026, 10, 27, 11, 0, 0, 123);

describe('time formats', () => {
  it('writes MicroTime with exactly six fractional digits', () => {
    assert.equal(microTime(at), '2026-11-27T11:00:00.123000Z');
    assert.equal(microTime(new Date(Date.UTC(2026, 0, 1))), '2026-01-01T00:00:00.000000Z');
  });

  it('writes Time in whole seconds', () => {
    assert.equal(rfc3339(at), '2026-11-27T11:00:00Z');
  });

  it('reads both forms back', () => {
    assert.equal(parseTime('2026-11-27T11:00:00.123456Z')?.getTime(), at);
    assert.equal(parseTime('2026-11-27T11:00:00Z')?.getTime(), at - 123);
    assert.equal(parseTime('nonsense'), undefined);
    assert.equal(parseTime(undefined), undefined);
  });
});

const leaseJson = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'agent-operator-leader', namespace: 'ops', resourceVersion: '77' },
  spec: {
    holderIdentity: 'pod-a',
    leaseDurationSeconds: 15,
    acquireTime: '2026-11-27T11:00:00.123456Z',
    renewTime: '2026-11-27T11:00:10.000001Z',
    leaseTransitions: 3,
  },
};

describe('leaseIO', () => {
  it('reads a Lease into spec and resourceVersion', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: leaseJson }));
    const got = await leaseIO(client).getLease('ops', 'agent-operator-leader');
    assert.equal(sent[0]?.url.pathname, '/apis/coordination.k8s.io/v1/namespaces/ops/leases/agent-operator-leader');
    assert.deepEqual(got, {
      resourceVersion: '77',
      spec: {
        holderIdentity: 'pod-a',
        leaseDurationSeconds: 15,
        acquireTime: new Date(at),
        renewTime: new Date(Date.UTC(2026, 10, 27, 11, 0, 10)),
        leaseTransitions: 3,
      },
    });
  });

  it('reads a missing Lease as undefined', async () => {
    const { client } = fakeClient(() => notFound());
    assert.equal(await leaseIO(client).getLease('ops', 'l'), undefined);
  });

  it('creates a Lease with MicroTime timestamps', async () => {
    const { client, sent } = fakeClient(() => ({ status: 201, body: leaseJson }));
    const got = await leaseIO(client).createLease('ops', 'l', { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: new Date(at), renewTime: new Date(at), leaseTransitions: 0 });
    assert.equal(got.resourceVersion, '77');
    const [req] = sent;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.url.pathname, '/apis/coordination.k8s.io/v1/namespaces/ops/leases');
    assert.deepEqual(req?.body, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', namespace: 'ops' },
      spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: '2026-11-27T11:00:00.123000Z', renewTime: '2026-11-27T11:00:00.123000Z', leaseTransitions: 0 },
    });
  });

  it('updates with the resourceVersion it was based on', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: { ...leaseJson, metadata: { ...leaseJson.metadata, resourceVersion: '78' } } }));
    const got = await leaseIO(client).updateLease('ops', 'l', { holderIdentity: 'pod-b', renewTime: new Date(at) }, '77');
    assert.equal(got.resourceVersion, '78');
    const [req] = sent;
    assert.equal(req?.method, 'PUT');
    assert.equal(req?.url.pathname, '/apis/coordination.k8s.io/v1/namespaces/ops/leases/l');
    assert.deepEqual((req?.body as { metadata: unknown }).metadata, { name: 'l', namespace: 'ops', resourceVersion: '77' });
  });

  it('throws LeaseConflictError when another candidate updated or created it first', async () => {
    const { client } = fakeClient(() => conflict());
    const io = leaseIO(client);
    await assert.rejects(io.updateLease('ops', 'l', {}, '77'), (e: unknown) => e instanceof LeaseConflictError && e instanceof KubeApiError && e.status === 409);
    await assert.rejects(io.createLease('ops', 'l', {}), LeaseConflictError);
  });

  it('lets other errors through untyped', async () => {
    const { client } = fakeClient(() => ({ status: 500, body: { kind: 'Status', code: 500, message: 'etcd timeout' } }));
    await assert.rejects(leaseIO(client).getLease('ops', 'l'), (e: unknown) => e instanceof KubeApiError && !(e instanceof LeaseConflictError) && e.status === 500);
  });
});

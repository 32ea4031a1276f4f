import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api, RequestContext } from '@kubernetes/client-node';
import { call, describeRequest } from '../../../src/kube/client.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { fakeClient, notFound } from './fake-http.ts';

async function sample(text: Promise<string>, series: string): Promise<number | undefined> {
  const line = (await text).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('KubeClient', () => {
  it('sends raw requests with the user agent, credentials, query and JSON body', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: { kind: 'Deployment' } }));
    const got = await client.request({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/ns/deployments/web',
      query: { fieldManager: 'agent-operator', force: true, dryRun: undefined },
      body: { spec: { replicas: 1 } },
      contentType: 'application/apply-patch+yaml',
    });
    assert.deepEqual(got, { kind: 'Deployment' });
    const [req] = sent;
    assert.ok(req);
    assert.equal(req.method, 'PATCH');
    assert.equal(req.url.pathname, '/apis/apps/v1/namespaces/ns/deployments/web');
    assert.equal(req.url.searchParams.get('fieldManager'), 'agent-operator');
    assert.equal(req.url.searchParams.get('force'), 'true');
    assert.equal(req.url.searchParams.has('dryRun'), false);
    assert.equal(req.headers['User-Agent'], 'agent-operator/test');
    assert.equal(req.headers['Authorization'], 'Bearer test-token');
    assert.equal(req.headers['Content-Type'], 'application/apply-patch+yaml');
    assert.deepEqual(req.body, { spec: { replicas: 1 } });
  });

  it('stamps generated API clients with the same user agent', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } }));
    await client.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 's', namespace: 'ns' });
    assert.equal(sent[0]?.headers['User-Agent'], 'agent-operator/test');
    assert.equal(sent[0]?.url.pathname, '/api/v1/namespaces/ns/secrets/s');
  });

  it('counts every request by verb, resource and code, from raw and generated calls alike', async () => {
    const { client, metrics } = fakeClient((req) => (req.url.pathname.endsWith('/missing') ? notFound() : { status: 200, body: {} }));
    await client.request({ method: 'PATCH', path: '/apis/agent-operator.dev/v1alpha1/namespaces/ns/agents/a/status', body: {} });
    await assert.rejects(call(() => client.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'missing', namespace: 'ns' })));
    const text = metrics.registry.metrics();
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="patch",resource="agents/status",code="200"}'), 1);
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="get",resource="secrets",code="404"}'), 1);
    assert.equal(await metrics.apiWrites(), 1);
  });

  it('turns an apiserver Status into KubeApiError with code, reason and Retry-After', async () => {
    const { client } = fakeClient(() => ({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'slow down' },
    }));
    const err = await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/secrets/s' }).catch((e: unknown) => e);
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.retryAfterSeconds, 3);
    assert.equal(err.message, 'slow down');
  });

  it('turns a generated client ApiException into KubeApiError', async () => {
    const { client } = fakeClient(() => notFound('secrets "s"'));
    const err = await call(() => client.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 's', namespace: 'ns' })).catch((e: unknown) => e);
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 404);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.message, 'secrets "s" not found');
  });

  it('keeps a non-JSON error body short', async () => {
    const { client } = fakeClient(() => ({ status: 502, body: '<html>bad gateway</html>'.repeat(50) }));
    const err = await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/secrets/s' }).catch((e: unknown) => e);
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 502);
    assert.ok(err.message.length <= 200);
  });

  it('counts a request that got no response as code error', async () => {
    const { client, metrics } = fakeClient(() => {
      throw new TypeError('fetch failed');
    });
    await assert.rejects(client.request({ method: 'DELETE', path: '/api/v1/namespaces/ns/pods/p' }), /fetch failed/);
    assert.equal(await sample(metrics.registry.metrics(), 'agent_operator_api_requests_total{verb="delete",resource="pods",code="error"}'), 1);
  });
});

describe('describeRequest', () => {
  const cases: [string, string, string, string][] = [
    ['GET', '/api/v1/namespaces/ns/secrets/s', 'get', 'secrets'],
    ['GET', '/api/v1/namespaces/ns/pods', 'list', 'pods'],
    ['GET', '/api/v1/pods?watch=true&resourceVersion=5', 'watch', 'pods'],
    ['GET', '/api/v1/namespaces/ns', 'get', 'namespaces'],
    ['GET', '/api/v1/namespaces', 'list', 'namespaces'],
    ['PUT', '/api/v1/namespaces/ns/finalize', 'update', 'namespaces/finalize'],
    ['POST', '/api/v1/namespaces/ns/events', 'create', 'events'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', 'update', 'leases'],
    ['PATCH', '/apis/agent-operator.dev/v1alpha1/namespaces/ns/agents/a/status', 'patch', 'agents/status'],
    ['DELETE', '/api/v1/namespaces/ns/pods/p', 'delete', 'pods'],
    ['DELETE', '/api/v1/namespaces/ns/pods', 'deletecollection', 'pods'],
    ['GET', '/apis/apps/v1/deployments', 'list', 'deployments'],
    ['GET', '/version', 'get', 'nonresource'],
  ];
  for (const [method, path, verb, resource] of cases) {
    it(`names ${method} ${path} ${verb} ${resource}`, () => {
      const ctx = new RequestContext(`https://kube.test${path}`, method as 'GET');
      assert.deepEqual(describeRequest(ctx), { verb, resource });
    });
  }
});

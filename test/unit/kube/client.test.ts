import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { KubeLeaseStore } from '../../../src/runtime/lease-store.ts';
import { read } from '../../../src/kube/apply.ts';
import { readNode } from '../../../src/kube/nodes.ts';
import { readNodeCadvisor } from '../../../src/kube/node-metrics.ts';
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

  it('counts every request by verb, resource and code: the reconciles\' JSON calls, the caches\' lists and watches, the Lease and the usage scraper alike', async () => {
    const { client, metrics, sent } = fakeClient((req) => (req.url.pathname.endsWith('/missing') || req.url.pathname.includes('/leases/') ? notFound() : { status: 200, body: {} }));
    await client.request({ method: 'PATCH', path: '/apis/agent-operator.dev/v1alpha1/namespaces/ns/agents/a/status', body: {} });
    await assert.rejects(client.request({ method: 'GET', path: '/api/v1/namespaces/ns/secrets/missing' }));
    await client.transport.request({ method: 'GET', path: '/apis/apps/v1/deployments', query: { limit: 500 } });
    await client.transport.request({ method: 'GET', path: '/apis/apps/v1/deployments', query: { watch: true } });
    await new KubeLeaseStore(client.transport, 'ns', 'lead').get(new AbortController().signal);
    await readNodeCadvisor(client.transport, 'node-1');
    const text = metrics.registry.metrics();
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="patch",resource="agents/status",code="200"}'), 1);
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="get",resource="secrets",code="404"}'), 1);
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="list",resource="deployments",code="200"}'), 1);
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="watch",resource="deployments",code="200"}'), 1);
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="get",resource="leases",code="404"}'), 1);
    assert.equal(await sample(text, 'agent_operator_api_requests_total{verb="get",resource="nodes/proxy",code="200"}'), 1);
    assert.ok(sent.every((r) => r.headers['User-Agent'] === 'agent-operator/test'), 'one User-Agent on every request');
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

  it('reads an object that does not exist (404) as absent, and throws every other failure', async () => {
    const { client } = fakeClient((req) => (req.url.pathname.endsWith('/gone') ? notFound() : { status: 500, body: { message: 'boom' } }));
    assert.equal(await read(client, { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: 'gone' }), undefined);
    assert.equal(await readNode(client, 'gone'), null);
    await assert.rejects(read(client, { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: 'web' }), /boom/);
    await assert.rejects(readNode(client, 'node-1'), /boom/);
  });
});

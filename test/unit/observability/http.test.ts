import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { startHealthServer, startMetricsServer, type RunningServer } from '../../../src/observability/http.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';

async function get(server: RunningServer, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string | undefined }> {
  const { port } = server.address();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics server', () => {
  const metrics = createMetrics({ processMetrics: false });
  let server: RunningServer;
  after(() => server?.close());

  it('serves the registry in the Prometheus text format on GET /metrics', async () => {
    server = await startMetricsServer({ address: '127.0.0.1:0', registry: metrics.registry });
    assert.notEqual(server.address().port, 0);
    metrics.failures.inc({ reason: 'OOMKilled' });
    const res = await get(server, '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^agent_operator_failures_total\{reason="OOMKilled"\} 1$/m);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    assert.equal((await get(server, '/')).status, 404);
    assert.equal((await get(server, '/metrics', 'POST')).status, 405);
  });
});

describe('health server', () => {
  let live: boolean | { ok: boolean; detail?: string } = true;
  let ready: boolean | { ok: boolean; detail?: string } = { ok: false, detail: 'caches not synced: agents, pods' };
  let server: RunningServer;
  after(() => server?.close());

  it('reports liveness and readiness from their checks', async () => {
    server = await startHealthServer({ address: '127.0.0.1:0', healthz: () => live, readyz: () => ready });
    assert.deepEqual(await get(server, '/healthz').then((r) => [r.status, r.body]), [200, 'ok\n']);
    assert.deepEqual(await get(server, '/readyz').then((r) => [r.status, r.body]), [503, 'caches not synced: agents, pods\n']);
    ready = true;
    assert.equal((await get(server, '/readyz')).status, 200);
  });

  it('answers 503 when liveness fails, and when a check throws', async () => {
    live = { ok: false, detail: 'watch on pods silent for 120s' };
    assert.deepEqual(await get(server, '/healthz').then((r) => [r.status, r.body]), [503, 'watch on pods silent for 120s\n']);
    live = false;
    assert.deepEqual(await get(server, '/healthz').then((r) => [r.status, r.body]), [503, 'not ok\n']);
    await server.close();
    server = await startHealthServer({ address: '127.0.0.1:0', healthz: () => { throw new Error('boom'); }, readyz: () => true });
    assert.deepEqual(await get(server, '/healthz').then((r) => [r.status, r.body]), [503, 'check failed: boom\n']);
  });

  it('ignores a query string', async () => {
    assert.equal((await get(server, '/readyz?verbose')).status, 200);
  });
});

describe('server lifecycle', () => {
  it('closes even while a client holds a keep-alive connection', async () => {
    const server = await startHealthServer({ address: '127.0.0.1:0', healthz: () => true, readyz: () => true });
    const { port } = server.address();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    await server.close();
  });

  it('refuses a port that is already taken', async () => {
    const first = await startHealthServer({ address: '127.0.0.1:0', healthz: () => true, readyz: () => true });
    await assert.rejects(
      startHealthServer({ address: `127.0.0.1:${first.address().port}`, healthz: () => true, readyz: () => true }),
      /EADDRINUSE/,
    );
    await first.close();
  });

  it('listens nowhere when the metrics address is 0', async () => {
    const off = await startMetricsServer({ address: '0', registry: createMetrics({ processMetrics: false }).registry });
    assert.equal(off.address().port, 0);
    await off.close();
  });

  it('refuses a malformed address', async () => {
    await assert.rejects(startMetricsServer({ address: 'nope', registry: createMetrics({ processMetrics: false }).registry }), /not host:port/);
  });
});

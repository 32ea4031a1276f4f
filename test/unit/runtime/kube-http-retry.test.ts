// The transport waits out an apiserver's Retry-After and sends the request
// again, as client-go's rest client does: API Priority and Fairness answers a
// squeezed client 429 with Retry-After before it executes anything, and an
// apiserver that cannot serve yet answers 5xx with Retry-After. Without this
// every such answer failed the whole reconcile and put the Agent on its
// exponential backoff (up to 30 s), so a throttled operator converged in
// 26-107 s (test/e2e/fault-network.test.ts). A real HTTP server answers; the
// waits are recorded, not slept.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttpClient, requestJson } from '../../../src/runtime/kube-http.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';

type Answer = { status: number; retryAfter?: string };

/** An apiserver that gives the answers in turn (the last one from then on) and records what it was sent. */
async function server(answers: Answer[]): Promise<{ kc: KubeConfig; received: { method: string; body: string }[] }> {
  const received: { method: string; body: string }[] = [];
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push({ method: req.method ?? '', body });
      const a = answers[Math.min(received.length - 1, answers.length - 1)]!;
      const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(a.retryAfter !== undefined ? { 'Retry-After': a.retryAfter } : {}) };
      res.writeHead(a.status, headers);
      res.end(a.status < 300 ? '{"kind":"ConfigMap","metadata":{"name":"x"}}' : JSON.stringify({ kind: 'Status', status: 'Failure', code: a.status, reason: a.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'too many requests, please try again later' }));
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  after(() => srv.close());
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, received };
}

function client(kc: KubeConfig): { transport: KubeHttpClient; waits: number[]; codes: string[] } {
  const waits: number[] = [];
  const codes: string[] = [];
  const transport = new KubeHttpClient(kc, {
    observe: (_m, _u, code) => codes.push(code),
    sleep: async (ms, signal) => {
      waits.push(ms);
      signal?.throwIfAborted();
    },
  });
  return { transport, waits, codes };
}

const path = '/api/v1/namespaces/ns/configmaps';

describe('KubeHttpClient: Retry-After', () => {
  it('waits out a 429 with Retry-After and sends the request again, body and all; each answer is counted', async () => {
    const s = await server([{ status: 429, retryAfter: '1' }, { status: 429, retryAfter: '2' }, { status: 201 }]);
    const c = client(s.kc);
    const body = JSON.stringify({ metadata: { name: 'x' } });
    const created = await requestJson<{ kind: string }>(c.transport, { method: 'POST', path, body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(created.kind, 'ConfigMap');
    assert.deepEqual(c.waits, [1000, 2000]);
    assert.deepEqual(s.received, [{ method: 'POST', body }, { method: 'POST', body }, { method: 'POST', body }]);
    assert.deepEqual(c.codes, ['429', '429', '201']);
  });

  it('retries a 5xx only when it says when (Retry-After), as client-go does', async () => {
    const withHeader = await server([{ status: 503, retryAfter: '1' }, { status: 200 }]);
    const a = client(withHeader.kc);
    await requestJson(a.transport, { method: 'GET', path });
    assert.equal(withHeader.received.length, 2);

    const without = await server([{ status: 503 }, { status: 200 }]);
    const b = client(without.kc);
    await assert.rejects(requestJson(b.transport, { method: 'GET', path }), (e: unknown) => e instanceof KubeApiError && e.status === 503);
    assert.equal(without.received.length, 1, 'no Retry-After: the caller decides');
    assert.deepEqual(b.waits, []);
  });

  it('gives up after 10 tries and hands the last 429 to the caller, Retry-After and all', async () => {
    const s = await server([{ status: 429, retryAfter: '1' }]);
    const c = client(s.kc);
    await assert.rejects(requestJson(c.transport, { method: 'GET', path }), (e: unknown) => e instanceof KubeApiError && e.status === 429 && e.retryAfterSeconds === 1);
    assert.equal(s.received.length, 10);
    assert.equal(c.waits.length, 9);
  });

  it('stops waiting when the request is cancelled (its reconcile ended), and sends nothing more', async () => {
    const s = await server([{ status: 429, retryAfter: '1' }, { status: 200 }]);
    const ac = new AbortController();
    const transport = new KubeHttpClient(s.kc, {
      sleep: async (_ms, signal) => {
        ac.abort();
        signal?.throwIfAborted();
      },
    });
    await assert.rejects(transport.request({ method: 'GET', path, signal: ac.signal }), (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.equal(s.received.length, 1);
  });

  it('leaves a watch to its informer, which backs off by Retry-After itself', async () => {
    const s = await server([{ status: 429, retryAfter: '1' }, { status: 200 }]);
    const c = client(s.kc);
    const res = await c.transport.request({ method: 'GET', path, query: { watch: true } });
    assert.equal(res.status, 429);
    assert.equal(s.received.length, 1);
  });
});

import assert from 'node:assert/strict';
import { createServer, request, type Agent, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConnectionPool } from '../../../src/runtime/connection-pool.ts';
import { KubeHttpClient } from '../../../src/runtime/kube-http.ts';

// The transport's connections, counted by a real HTTP server on loopback.

let server: Server;
let base: URL;
const sockets = new Set<Socket>();
let connections = 0;
let hold: ServerResponse[] = [];
let holdNext = false;

before(async () => {
  server = createServer((_req, res) => {
    if (holdNext) hold.push(res);
    else res.end('{}');
  });
  server.on('connection', (s: Socket) => { connections++; sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const auth = { getCurrentCluster: () => ({ server: base.href }), applyToHTTPSOptions: async () => {} };
const until = async (ok: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

function get(agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    request(new URL('/x', base), { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
  });
}

describe('the transport\'s connection pool', () => {
  it('sends one request after another on one kept-alive connection', async () => {
    const client = new KubeHttpClient(auth);
    const before = connections;
    for (let i = 0; i < 5; i++) await (await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/secrets/s' })).text();
    assert.equal(connections - before, 1);
  });

  it('gives each request in flight a connection of its own (HTTP/1.1: a wedged connection holds only its own request)', async () => {
    const client = new KubeHttpClient(auth);
    const before = connections;
    holdNext = true;
    const pending = [1, 2, 3].map(() => client.request({ method: 'GET', path: '/api/v1/pods', query: { watch: true } }));
    await until(() => hold.length === 3, 'three requests reached the server');
    assert.equal(connections - before, 3);
    holdNext = false;
    for (const res of hold) res.end('{}');
    hold = [];
    await Promise.all(pending.map(async (p) => (await p).text()));
  });

  it('replaces the pool after maxAge (a rotated certificate is picked up), closing the old one\'s idle connections and letting its busy ones finish', async () => {
    let now = 0;
    const pool = new ConnectionPool({ maxAgeMs: 1000, now: () => now });
    const tls = () => ({});
    const first = pool.agent(base, tls);
    assert.equal(pool.agent(base, tls), first, 'kept within maxAge');
    await Promise.all([get(first), get(first)]); // two connections, idle
    holdNext = true; // one of them busy again, the other idle
    const busy = get(first);
    await until(() => hold.length === 1, 'the busy request reached the server');
    const open = sockets.size;
    now = 1000;
    const second = pool.agent(base, tls);
    assert.notEqual(second, first);
    await until(() => sockets.size === open - 1, 'the old pool\'s idle connection is closed');
    holdNext = false;
    hold.shift()!.end('{}');
    await busy;
    await until(() => sockets.size === open - 2, 'the old pool\'s busy connection is closed once its request finished');
    second.destroy();
  });
});

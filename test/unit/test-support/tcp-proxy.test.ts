// The fault suite's TCP proxy, on real loopback sockets: each fault does what
// the e2e tests rely on it doing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

/** An echo server: what goes in comes back. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

async function client(proxy: TcpProxy): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port: proxy.port });
  await once(s, 'connect');
  return s;
}

function roundTrip(s: Socket, text: string, timeoutMs = 2000): Promise<string | 'timeout'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { s.off('data', onData); resolve('timeout'); }, timeoutMs);
    const onData = (b: Buffer) => { clearTimeout(timer); s.off('data', onData); resolve(b.toString()); };
    s.on('data', onData);
    s.once('error', reject);
    s.write(text);
  });
}

describe('tcp proxy', () => {
  let echo: { server: Server; port: number };
  before(async () => { echo = await echoServer(); });
  after(() => echo.server.close());

  it('forwards bytes both ways unchanged when no fault is on', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    const s = await client(proxy);
    assert.equal(await roundTrip(s, 'hello'), 'hello');
    s.destroy();
    await proxy.close();
  });

  it('adds the latency on each direction', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    const s = await client(proxy);
    proxy.setLatency(150);
    const t0 = Date.now();
    assert.equal(await roundTrip(s, 'slow'), 'slow');
    assert.ok(Date.now() - t0 >= 290, `round trip took ${Date.now() - t0} ms, want >= 2 x 150`);
    s.destroy();
    await proxy.close();
  });

  it('lowering the latency never lets a later chunk overtake an earlier one', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    const s = await client(proxy);
    let received = '';
    s.on('data', (b: Buffer) => { received += b.toString(); });
    proxy.setLatency(200);
    s.write('first,');
    await sleep(20);
    proxy.setLatency(0);
    s.write('second');
    await sleep(600);
    assert.equal(received, 'first,second');
    s.destroy();
    await proxy.close();
  });

  it('resets open connections: the client sees ECONNRESET', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    const s = await client(proxy);
    assert.equal(await roundTrip(s, 'up'), 'up');
    const error = once(s, 'error');
    assert.equal(proxy.resetAll(), 1);
    const [err] = await error as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    await proxy.close();
  });

  it('a partition drops bytes silently and delivers none of them after healing', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    const s = await client(proxy);
    proxy.partition();
    assert.equal(await roundTrip(s, 'lost', 300), 'timeout');
    assert.ok(proxy.stats.droppedBytes >= 4);
    s.on('error', () => undefined); // the reset
    const closed = new Promise((resolve) => s.once('close', resolve));
    proxy.heal();
    await closed; // the connection opened across the partition is gone, as after a real one
    const fresh = await client(proxy);
    assert.equal(await roundTrip(fresh, 'back'), 'back');
    fresh.destroy();
    await sleep(10);
    await proxy.close();
  });
});

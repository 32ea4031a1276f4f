// A TCP proxy between one client (an operator) and the apiserver, with faults
// a test turns on and off: added latency, connection resets, a partition.
// It forwards bytes only (TLS goes end to end: the apiserver's certificate
// names 127.0.0.1, where the proxy listens), so the client cannot tell it is
// there until a fault is on.
//
//   const proxy = await startTcpProxy(apiserverAddress(cluster()));
//   const kubeconfig = writeKubeconfig(cluster(), { server: proxy.url });
//   proxy.setLatency(300); proxy.resetAll(); proxy.partition(); proxy.heal();
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** One-way delay added to every chunk, both directions (order kept). 0 turns it off. */
  setLatency(ms: number): void;
  /** Sends RST on every open connection, both sides, as a middlebox or a dying node does; returns how many. */
  resetAll(): number;
  /**
   * Drops every byte both ways and holds new connections open without
   * forwarding, as a network partition does: the client sees timeouts, never
   * a refused or reset connection. Nothing dropped is delivered later.
   */
  partition(): void;
  /** Ends the partition; connections opened during it are reset (their bytes are gone). */
  heal(): void;
  readonly stats: { accepted: number; reset: number; droppedBytes: number };
  /** Client connections open through the proxy now. */
  openConnections(): number;
  close(): Promise<void>;
}

interface Pair { client: Socket; upstream: Socket; partitioned: boolean }

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const stats = { accepted: 0, reset: 0, droppedBytes: 0 };
  let latencyMs = 0;
  let partitioned = false;

  // Forwards src -> dst, with the current latency, unless this pair is cut.
  const pipe = (pair: Pair, src: Socket, dst: Socket) => {
    let tail = Promise.resolve();
    let pending = 0;
    src.on('data', (chunk: Buffer) => {
      if (partitioned || pair.partitioned) {
        stats.droppedBytes += chunk.length;
        return;
      }
      const delay = latencyMs;
      if (delay === 0 && pending === 0) {
        if (!dst.destroyed) dst.write(chunk);
        return;
      }
      // Queued behind every earlier chunk, also when the latency was lowered
      // meanwhile: a chunk that overtook another would corrupt the TLS stream.
      const due = Date.now() + delay;
      pending++;
      tail = tail.then(() => new Promise<void>((resolve) => setTimeout(() => {
        pending--;
        if (!dst.destroyed && !pair.partitioned && !partitioned) dst.write(chunk);
        resolve();
      }, Math.max(0, due - Date.now()))));
    });
    src.on('end', () => void tail.then(() => dst.end()));
  };

  const drop = (pair: Pair, how: 'reset' | 'destroy') => {
    pairs.delete(pair);
    for (const s of [pair.client, pair.upstream]) {
      if (s.destroyed) continue;
      if (how === 'reset') s.resetAndDestroy();
      else s.destroy();
    }
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    stats.accepted++;
    const upstream = connect({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream, partitioned };
    pairs.add(pair);
    pipe(pair, client, upstream);
    pipe(pair, upstream, client);
    const onError = () => drop(pair, 'destroy');
    client.on('error', onError);
    upstream.on('error', onError);
    client.on('close', onError);
    upstream.on('close', onError);
    client.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');

  return {
    port: address.port,
    url: `https://127.0.0.1:${address.port}`,
    stats,
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    openConnections: () => pairs.size,
    resetAll() {
      const n = pairs.size;
      for (const pair of [...pairs]) drop(pair, 'reset');
      stats.reset += n;
      return n;
    },
    partition() {
      partitioned = true;
      for (const pair of pairs) pair.partitioned = true;
    },
    heal() {
      partitioned = false;
      for (const pair of [...pairs]) if (pair.partitioned) drop(pair, 'reset');
    },
    async close() {
      for (const pair of [...pairs]) drop(pair, 'destroy');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

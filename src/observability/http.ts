import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { parseBindAddress } from '../config.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { createServer } = process.getBuiltinModule('node:http');

// Two small servers on their own ports, as controller-runtime does: /metrics
// for Prometheus, /healthz and /readyz for the kubelet. Probes stay answerable
// when metrics scraping is slow, and either port can be firewalled alone.

/** A probe check: true/false, or a verdict with a short reason shown in the 503 body. */
export type Check = () => boolean | { ok: boolean; detail?: string };

export interface RunningServer {
  /** Where it listens; with port 0 the port the OS chose. */
  address(): AddressInfo;
  /** Stops accepting, ends idle keep-alive connections, resolves when closed. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Address `0` turns metrics off (controller-runtime's convention): nothing listens, close() is a no-op. */
export function startMetricsServer(opts: { address: string; registry: Registry }): Promise<RunningServer> {
  if (opts.address.trim() === '0') return Promise.resolve(disabled);
  return listen(opts.address, {
    '/metrics': async (_req, res) => {
      const body = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
    },
  });
}

/**
 * `/healthz`: liveness, 200 while the process and its watches are alive.
 * `/readyz`: readiness, 200 once the caches have synced. 503 with the check's
 * detail otherwise, so `kubectl describe pod` shows why a probe failed.
 */
export function startHealthServer(opts: { address: string; healthz: Check; readyz: Check }): Promise<RunningServer> {
  return listen(opts.address, {
    '/healthz': probe(opts.healthz),
    '/readyz': probe(opts.readyz),
  });
}

function probe(check: Check): Handler {
  return (_req, res) => {
    let verdict: { ok: boolean; detail?: string };
    try {
      const r = check();
      verdict = typeof r === 'boolean' ? { ok: r } : r;
    } catch (err) {
      verdict = { ok: false, detail: `check failed: ${(err as Error).message}` };
    }
    const body = verdict.ok ? 'ok\n' : `${verdict.detail ?? 'not ok'}\n`;
    res.writeHead(verdict.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  };
}

function listen(address: string, routes: Record<string, Handler>): Promise<RunningServer> {
  const bind = parseBindAddress(address);
  if (bind === undefined) return Promise.reject(new Error(`bind address ${JSON.stringify(address)} is not host:port or :port`));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = routes[path];
    if (handler === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`error: ${(err as Error).message}\n`);
    });
  });
  // Probes and scrapes are tiny; a slow or stuck client must not hold a socket for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve(running(server));
    });
  });
}

const disabled: RunningServer = {
  address: () => ({ address: '', family: '', port: 0 }),
  close: () => Promise.resolve(),
};

function running(server: Server): RunningServer {
  return {
    address: () => server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Also ends the connections Prometheus keeps alive between scrapes (Node 19+ does so in close).
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

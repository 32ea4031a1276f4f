import type { Agent as HttpAgent } from 'node:http';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/** The TLS material of a request, as client-node's KubeConfig.applyToHTTPSOptions and src/kube/kube-config.ts fill it. */
export interface TlsOptions {
  ca?: SecureContextOptions['ca'];
  cert?: SecureContextOptions['cert'];
  key?: SecureContextOptions['key'];
  rejectUnauthorized?: boolean;
  servername?: string;
}

/**
 * One kept-alive connection pool (a node:http(s) Agent) for every request to
 * the apiserver, replaced after `maxAgeMs` so a rotated client certificate or
 * CA file is picked up. client-node 2.x builds a new pool for every request,
 * so every request paid a TCP + TLS handshake: half the operator's CPU at
 * 1,000 Agents (bench/client-overhead.ts).
 *
 * HTTP/1.1, one connection per request in flight (node:https speaks nothing
 * else). Over HTTP/2 every watch and every write would be a stream on one
 * TCP connection: when that connection wedged (the fault-network e2e under
 * CPU load) every watch and reconcile waited on it for two minutes; with a
 * connection per request, a bad connection costs only its own request, which
 * the watch's inactivity timer or the request deadline ends.
 *
 * A replaced pool is retired: its idle connections are closed now, its busy
 * ones (a watch, a request in flight) as soon as they finish.
 */
export class ConnectionPool {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #current: { agent: HttpAgent; https: boolean; since: number } | undefined;

  constructor(opts: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * The pool for a request. `tls()` is asked only when a new pool is built;
   * `given` is an agent the credentials brought (client-node's proxy agents),
   * kept as the pool instead of one of ours.
   */
  agent(url: URL, tls: () => TlsOptions, given?: HttpAgent): HttpAgent {
    const isHttps = url.protocol === 'https:';
    const now = this.#now();
    const current = this.#current;
    if (current && current.https === isHttps && now - current.since < this.#maxAgeMs) return current.agent;
    // keepAliveMsecs 30 s: client-go's TCP keep-alive, under cloud load balancers' 60 s idle cut.
    const options = { keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const };
    const agent = given ?? (isHttps ? new https.Agent({ ...options, ...tls() }) : new http.Agent(options));
    this.#current = { agent, https: isHttps, since: now };
    if (current && current.agent !== agent) retire(current.agent);
    return agent;
  }
}

function retire(agent: HttpAgent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
  agent.on('free', (socket: Socket) => socket.destroy());
}

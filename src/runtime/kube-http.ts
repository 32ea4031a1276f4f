import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { KubeApiError, type Status } from './api-error.ts';
import { ConnectionPool, type TlsOptions } from './connection-pool.ts';
import { userAgent as defaultUserAgent } from '../version.ts';
import { requestSignal } from './request-scope.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');
const { Readable } = process.getBuiltinModule('node:stream');
const { setTimeout: sleep } = process.getBuiltinModule('node:timers/promises');

// The one way to the apiserver: every request of the operator (informers,
// leader election, reconciles, events) goes through KubeHttpClient, over
// node:https with one kept-alive pool (connection-pool.ts). The credentials
// come from the kubeconfig each request: ClusterAuth.applyToHTTPSOptions
// (the operator's own loader, src/kube/kube-config.ts, or client-node's
// KubeConfig for exec plugins, auth-providers and proxies) fills the
// Authorization header and the TLS material, so a rotated token reaches the
// next request once the loader has read it again (within a minute,
// kube-config.ts) and a rotated certificate the next pool. Each
// request is checked before it is sent, counted once it is answered (or
// failed), stamped with the User-Agent the audit log attributes, and
// cancelled with the reconcile it belongs to (request-scope.ts).
// (Not client-node's fetch: its undici, 1.3 MB of source, was ~10 MiB of
// the operator's RSS at start, issue 13.)

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the cluster's server URL, e.g. `/api/v1/namespaces/x/secrets`. */
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface KubeResponse {
  status: number;
  headers: Record<string, string>;
  text(): Promise<string>;
  stream(): ReadableStream<Uint8Array> | null;
}

/** What the list/watch source, the lease store and src/kube need; tests can stand in for it. */
export interface KubeTransport {
  request(req: KubeRequest): Promise<KubeResponse>;
}

/** One request as it goes on the wire; what a test's `send` sees. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * What the transport needs of a kubeconfig: the server, and the credentials
 * of each request (headers, TLS material, and for a proxy its agent).
 * client-node's KubeConfig has both, and so has the operator's own loader
 * (src/kube/kube-config.ts).
 */
export interface ClusterAuth {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

export interface KubeHttpClientOptions {
  /**
   * Called before each request is sent; throwing refuses it. The operator
   * passes the permission table's check (src/kube/permissions.ts), so the
   * runtime stays free of the operator's own tables.
   */
  check?: (method: string, url: URL, contentType: string | undefined) => void;
  /** Called once per request: its HTTP status, or `error` when no response came back (the request metric). */
  observe?: (method: string, url: URL, code: string) => void;
  /** Default `agent-operator/<version>`. */
  userAgent?: string;
  /** Sends one request; node:http(s) on the shared pool unless a test passes a fake. */
  send?: (req: OutgoingRequest) => Promise<KubeResponse>;
  /** Waits out a Retry-After; rejects once `signal` aborts. Default: a timer. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** Tries of a request the apiserver keeps answering "come back in N s": client-go's rest client's maxRetries. */
const maxTries = 10;

export class KubeHttpClient implements KubeTransport {
  readonly #kc: ClusterAuth;
  readonly #opts: KubeHttpClientOptions;
  readonly #pool = new ConnectionPool();

  constructor(kc: ClusterAuth, opts: KubeHttpClientOptions = {}) {
    this.#kc = kc;
    this.#opts = opts;
  }

  async request(req: KubeRequest): Promise<KubeResponse> {
    const cluster = this.#kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    this.#opts.check?.(req.method, url, req.headers?.['Content-Type']);
    const auth: RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(auth);
    const headers: Record<string, string> = { 'User-Agent': this.#opts.userAgent ?? defaultUserAgent };
    for (const [k, v] of Object.entries(auth.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (auth.auth) headers['Authorization'] = `Basic ${Buffer.from(auth.auth).toString('base64')}`;
    Object.assign(headers, req.headers);
    // A request with no signal of its own that is no watch gets a deadline: a half-open connection must not hold a worker forever.
    const deadline = req.signal === undefined && req.query?.['watch'] !== true ? AbortSignal.timeout(60_000) : undefined;
    // Its own signal (a watch's, the elector's) or the deadline, and the enclosing reconcile's, if any.
    const signal = requestSignal(req.signal, deadline);
    const out: OutgoingRequest = { method: req.method, url, headers, ...(req.body !== undefined ? { body: req.body } : {}), ...(signal ? { signal } : {}) };
    for (let tries = 1; ; tries++) {
      let res;
      try {
        res = await (this.#opts.send ?? ((o: OutgoingRequest) => send(o, this.#pool.agent(url, () => tlsOf(auth), proxyAgent(auth)))))(out);
      } catch (err) {
        this.#opts.observe?.(req.method, url, 'error');
        throw err;
      }
      this.#opts.observe?.(req.method, url, String(res.status));
      // API Priority and Fairness answers a squeezed client 429 before it runs
      // anything, and an apiserver not ready to serve answers 5xx; with
      // Retry-After both say when to come back. client-go's rest client waits
      // and sends again, and so does this: a failed reconcile would put the
      // Agent on its exponential backoff instead (up to 30 s). A watch is left
      // to its informer, which backs off by Retry-After itself. The deadline
      // above bounds the waits too.
      const wait = req.query?.['watch'] === true || tries >= maxTries ? undefined : retryAfterMs(res);
      if (wait === undefined) return res;
      await res.text(); // read to the end, so the connection goes back to the pool
      await (this.#opts.sleep ?? ((ms, s) => sleep(ms, undefined, s ? { signal: s } : {})))(wait, signal);
    }
  }
}

/** A 429 or 5xx's Retry-After in ms (whole seconds, as client-go reads it); undefined for any other answer. */
function retryAfterMs(res: KubeResponse): number | undefined {
  if (res.status !== 429 && res.status < 500) return undefined;
  const seconds = Number(res.headers['retry-after']);
  return Number.isInteger(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function tlsOf(o: RequestOptions): TlsOptions {
  return {
    ...(o.ca !== undefined ? { ca: o.ca } : {}), ...(o.cert !== undefined ? { cert: o.cert } : {}), ...(o.key !== undefined ? { key: o.key } : {}),
    ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}), ...(o.servername ? { servername: o.servername } : {}),
  };
}

/** client-node's proxy agents (proxy-url) carry the connection; its plain per-request https.Agent is dropped for the pool. */
function proxyAgent(o: RequestOptions): HttpAgent | undefined {
  const a = o.agent;
  return a && typeof a === 'object' && a.constructor !== https.Agent && a.constructor !== http.Agent ? a : undefined;
}

/** One request over node:http(s); the body stays unread until text() or stream(). */
function send(req: OutgoingRequest, agent: HttpAgent): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    const mod = req.url.protocol === 'http:' ? http : https;
    const headers = req.body !== undefined ? { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) } : req.headers;
    const r = mod.request(req.url, { method: req.method, headers, agent, ...(req.signal ? { signal: req.signal } : {}) }, (res) => resolve(response(res)));
    r.on('error', reject);
    r.end(req.body);
  });
}

function response(res: IncomingMessage): KubeResponse {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    status: res.statusCode ?? 0,
    headers,
    text: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stream: () => Readable.toWeb(res) as ReadableStream<Uint8Array>,
  };
}

/** Sends a request and parses the JSON answer (undefined when empty); non-2xx answers throw KubeApiError. */
export async function requestJson<T>(transport: KubeTransport, req: KubeRequest): Promise<T> {
  const res = await transport.request({ ...req, headers: { Accept: 'application/json', ...req.headers } });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw errorFrom(res, text);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** The one parser of the apiserver's error answers: its Status, or a short text when the body is no JSON (a proxy's page). */
export function errorFrom(res: Pick<KubeResponse, 'status' | 'headers'>, body: string): KubeApiError {
  let status: Status = {};
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed !== null && typeof parsed === 'object') status = parsed as Status;
  } catch {
    status = { message: body.slice(0, 200) || `HTTP ${res.status}` };
  }
  return KubeApiError.fromStatus({ ...status, code: res.status }, res.status, res.headers['retry-after']);
}

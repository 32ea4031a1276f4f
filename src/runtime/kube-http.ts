import type { HttpLibrary, HttpMethod } from '@kubernetes/client-node';
// By path, not the package index (which loads the whole generated API layer, see src/kube/kube-config.ts).
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
import { RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { KubeApiError, type Status } from './api-error.ts';
import { userAgent as defaultUserAgent } from '../version.ts';
import { requestSignal } from './request-scope.ts';
import { SharedDispatcher } from './shared-dispatcher.ts';

// The one way to the apiserver: every request of the operator (informers,
// leader election, reconciles, events) goes through KubeHttpClient, with
// exactly the auth and TLS client-node uses for its own calls:
// KubeConfig.applySecurityAuthentication fills a RequestContext with the
// Authorization header (token, token file, exec/OIDC plugins) and an undici
// dispatcher carrying the CA, client certificate and proxy settings;
// client-node's IsomorphicFetchHttpLibrary sends it with its own undici fetch.
// (2.x has no applyToFetchOptions; that was 1.x.) This works unchanged for
// client certificates, bearer tokens and in-cluster config, and a rotated token
// file or certificate is picked up on the next request. Each request is
// checked before it is sent, counted once it is answered (or failed), stamped
// with the User-Agent the audit log attributes, and cancelled with the
// reconcile it belongs to (request-scope.ts).

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: HttpMethod;
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
  /** Deadline of a request that has no signal of its own and is no watch: a half-open connection must not hold a worker forever. Default 60 s. */
  requestTimeoutMs?: number;
  /** The HTTP library; client-node's fetch unless a test passes a fake. */
  httpApi?: HttpLibrary;
}

/**
 * What the transport needs of a kubeconfig: the server, and the credentials
 * put on each request. client-node's KubeConfig has both, and so has the
 * operator's own loader (src/kube/kube-config.ts).
 */
export interface ClusterAuth {
  getCurrentCluster(): { server: string } | null;
  applySecurityAuthentication(ctx: RequestContext): Promise<void>;
}

export class KubeHttpClient implements KubeTransport {
  readonly #kc: ClusterAuth;
  readonly #opts: KubeHttpClientOptions;
  readonly #http: HttpLibrary;
  readonly #dispatcher = new SharedDispatcher();

  constructor(kc: ClusterAuth, opts: KubeHttpClientOptions = {}) {
    this.#kc = kc;
    this.#opts = opts;
    this.#http = opts.httpApi ?? new IsomorphicFetchHttpLibrary();
  }

  async request(req: KubeRequest): Promise<KubeResponse> {
    const cluster = this.#kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    this.#opts.check?.(req.method, url, req.headers?.['Content-Type']);
    const ctx = new RequestContext(url.toString(), req.method);
    ctx.setHeaderParam('User-Agent', this.#opts.userAgent ?? defaultUserAgent);
    for (const [k, v] of Object.entries(req.headers ?? {})) ctx.setHeaderParam(k, v);
    if (req.body !== undefined) ctx.setBody(req.body);
    const deadline = req.signal === undefined && req.query?.['watch'] !== true ? AbortSignal.timeout(this.#opts.requestTimeoutMs ?? 60_000) : undefined;
    // Its own signal (a watch's, the elector's) or the deadline, and the enclosing reconcile's, if any.
    const signal = requestSignal(req.signal, deadline);
    if (signal !== undefined) ctx.setSignal(signal);
    await this.#kc.applySecurityAuthentication(ctx);
    this.#dispatcher.adopt(ctx);
    let res;
    try {
      res = await this.#http.send(ctx).toPromise();
    } catch (err) {
      this.#opts.observe?.(req.method, url, 'error');
      throw err;
    }
    this.#opts.observe?.(req.method, url, String(res.httpStatusCode));
    return { status: res.httpStatusCode, headers: res.headers, text: () => res.body.text(), stream: () => res.body.stream() };
  }
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

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
// The package's small modules by path, never its index: the index loads the
// whole generated API layer (~60 MiB), see kube-config.ts.
import type { Configuration, HttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
import { wrapHttpLibrary } from '@kubernetes/client-node/dist/gen/http/http.js';
import { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
import { setHeaderMiddleware } from '@kubernetes/client-node/dist/middleware.js';
import { kubeConfigClass } from './kube-config.ts';
import { KubeApiError, type Status } from '../runtime/api-error.ts';
import { requestSignal } from '../runtime/request-scope.ts';
import { SharedDispatcher } from '../runtime/shared-dispatcher.ts';
import type { ApiRequestLabels, ApiVerb, Metrics } from '../observability/metrics.ts';
import { assertDeclared, requestAttributes } from './permissions.ts';
import { userAgent as defaultUserAgent } from '../version.ts';

// Every request the operator makes goes through one Configuration whose
// transport counts it (agent_operator_api_requests_total) and whose middleware
// sets the User-Agent `agent-operator/<version>`, so both the operator's
// metrics and the apiserver's audit log attribute each write. Generated API
// clients made with `makeApiClient` and raw `request()` calls share it.
// The same transport refuses a request src/kube/permissions.ts does not
// declare (the chart would not grant it) and cancels a request when the
// reconcile it belongs to is aborted (src/runtime/request-scope.ts).

export interface KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly configuration: Configuration;
  /** A generated API client (CoreV1Api, AppsV1Api, ...) on the counting, user-agent-stamping configuration; one per class. */
  makeApiClient<T>(api: new (configuration: Configuration) => T): T;
  /**
   * A JSON request with a body we serialise ourselves: for patches with an
   * explicit content type, and for MicroTime fields, which the generated
   * serializer would write with 3 fractional digits (rejected with 400).
   * Non-2xx responses throw KubeApiError.
   */
  request<T = unknown>(req: ApiRequest): Promise<T>;
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** From the server root: `/apis/apps/v1/namespaces/ns/deployments/name`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
}

export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  metrics?: Pick<Metrics, 'apiRequests'>;
  userAgent?: string;
  /** The transport; client-node's fetch library unless a test passes a fake. */
  httpApi?: HttpLibrary;
  /** Per-request deadline for everything but watches. Default 60 s. */
  requestTimeoutMs?: number;
}

/**
 * KUBECONFIG-style path list when given; otherwise in-cluster when the service
 * account is mounted, otherwise ~/.kube/config.
 */
export function loadKubeConfig(paths: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): KubeConfig {
  const Config = kubeConfigClass();
  const kc = new Config();
  const files = (paths ?? '').split(':').filter((p) => p !== '');
  const [first, ...rest] = files;
  if (first !== undefined) {
    kc.loadFromFile(first);
    for (const file of rest) {
      const more = new Config();
      more.loadFromFile(file);
      kc.mergeConfig(more);
    }
  } else if (env['KUBERNETES_SERVICE_HOST'] && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
    kc.loadFromCluster();
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    kc.loadFromFile(join(homedir(), '.kube', 'config'));
  } else {
    throw new Error('no Kubernetes configuration: set KUBECONFIG or --kubeconfig, or run in a cluster with a service account');
  }
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${first ?? '(in-cluster)'} has no current cluster: set current-context`);
  return kc;
}

export function createKubeClient(opts: KubeClientOptions): KubeClient {
  const kc = opts.kubeConfig;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const inner = opts.httpApi ?? new IsomorphicFetchHttpLibrary();
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const count = (labels: ApiRequestLabels): void => opts.metrics?.apiRequests.inc(labels);
  const dispatcher = new SharedDispatcher();

  const httpApi = wrapHttpLibrary({
    async send(ctx) {
      const described = describeRequest(ctx);
      assertDeclared(ctx.getHttpMethod(), new URL(ctx.getUrl()), ctx.getHeaders()['Content-Type']);
      // A request that never answers (half-open connection) must not hold a worker forever.
      const deadline = ctx.getSignal() === undefined && described.verb !== 'watch' ? AbortSignal.timeout(timeoutMs) : undefined;
      const signal = requestSignal(ctx.getSignal(), deadline);
      if (signal !== undefined) ctx.setSignal(signal);
      // One kept-alive connection pool for every request instead of client-node's one per request.
      dispatcher.adopt(ctx);
      try {
        const res = await inner.send(ctx).toPromise();
        count({ ...described, code: String(res.httpStatusCode) });
        return res;
      } catch (err) {
        count({ ...described, code: 'error' });
        throw err;
      }
    },
  });
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration<Record<string, string>>(cluster.server, {}),
    authMethods: { default: kc },
    httpApi,
    middleware: [setHeaderMiddleware('User-Agent', opts.userAgent ?? defaultUserAgent)],
  });

  const apis = new Map<unknown, unknown>();
  return {
    kubeConfig: kc,
    configuration,
    makeApiClient<T>(Api: new (configuration: Configuration) => T): T {
      if (!apis.has(Api)) apis.set(Api, new Api(configuration));
      return apis.get(Api) as T;
    },
    async request<T>(req: ApiRequest): Promise<T> {
      let ctx = configuration.baseServer.makeRequestContext(req.path, req.method);
      for (const [name, value] of Object.entries(req.query ?? {})) {
        if (value !== undefined) ctx.setQueryParam(name, String(value));
      }
      ctx.setHeaderParam('Accept', 'application/json');
      if (req.body !== undefined) {
        ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
        ctx.setBody(JSON.stringify(req.body));
      }
      await kc.applySecurityAuthentication(ctx);
      for (const m of configuration.middleware) ctx = await m.pre(ctx).toPromise();
      const res = await configuration.httpApi.send(ctx).toPromise();
      const text = await res.body.text();
      if (res.httpStatusCode >= 200 && res.httpStatusCode < 300) return (text === '' ? undefined : JSON.parse(text)) as T;
      throw errorFromBody(res.httpStatusCode, text, res.headers['retry-after']);
    },
  };
}

/**
 * Runs a generated-client call and turns its ApiException into KubeApiError,
 * the one error type the runtime's error policy understands.
 */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiException) {
      const body: unknown = err.body;
      const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
      throw errorFromBody(err.code, text, err.headers?.['retry-after']);
    }
    throw err;
  }
}

function errorFromBody(code: number, text: string, retryAfter: string | undefined): KubeApiError {
  let status: Status = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object') status = parsed as Status;
  } catch {
    status = { message: text.slice(0, 200) || `HTTP ${code}` };
  }
  return KubeApiError.fromStatus({ ...status, code }, code, retryAfter);
}

/** The verb and resource of a request, as the apiserver's audit log names them (the metric's labels). */
export function describeRequest(ctx: Pick<RequestContext, 'getUrl' | 'getHttpMethod'>): { verb: ApiVerb; resource: string } {
  const { verb, resource } = requestAttributes(ctx.getHttpMethod(), new URL(ctx.getUrl()));
  return { verb, resource };
}

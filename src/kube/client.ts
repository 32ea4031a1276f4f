import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { kubeConfigClass } from './kube-config.ts';
import { KubeHttpClient, requestJson, type KubeTransport } from '../runtime/kube-http.ts';
import type { Metrics } from '../observability/metrics.ts';
import { assertDeclared, requestAttributes } from './permissions.ts';

// The operator's client: the runtime's one transport (src/runtime/kube-http.ts)
// wired with the operator's own tables. It refuses a request
// src/kube/permissions.ts does not declare (the chart would not grant it) and
// counts every request, the caches' lists and watches and the Lease included,
// in agent_operator_api_requests_total by the verb and resource the audit log
// names, so the metric and the audit log tell the same story.

export interface KubeClient {
  /** For the caches, the Lease and the node proxy: raw requests on the same transport. */
  readonly transport: KubeTransport;
  /**
   * A JSON request with a body we serialise ourselves (patches with an
   * explicit content type; MicroTime with 6 fractional digits). Non-2xx
   * answers throw KubeApiError.
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
  /** The HTTP library; client-node's fetch unless a test passes a fake. */
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
  const { metrics } = opts;
  const transport = new KubeHttpClient(opts.kubeConfig, {
    check: assertDeclared,
    ...(metrics ? { observe: (method: string, url: URL, code: string) => {
      const { verb, resource } = requestAttributes(method, url);
      metrics.apiRequests.inc({ verb, resource, code });
    } } : {}),
    ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
    ...(opts.httpApi ? { httpApi: opts.httpApi } : {}),
    ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
  });
  return {
    transport,
    request: <T>(req: ApiRequest) => requestJson<T>(transport, {
      method: req.method,
      path: req.path,
      ...(req.query ? { query: req.query } : {}),
      ...(req.body !== undefined ? { headers: { 'Content-Type': req.contentType ?? 'application/json' }, body: JSON.stringify(req.body) } : {}),
    }),
  };
}

import { homedir } from 'node:os';
import { join } from 'node:path';
import { clientNodeKubeConfig, inClusterAccess, OwnKubeConfig, resolveKubeconfig, serviceAccountDir } from './kube-config.ts';
import { KubeHttpClient, requestJson, type ClusterAuth, type KubeHttpClientOptions, type KubeRequest, type KubeTransport } from '../runtime/kube-http.ts';
import type { Metrics } from '../observability/metrics.ts';
import { assertDeclared, requestAttributes } from './permissions.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');

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

/** A request of the transport, with its body as an object to send as JSON. */
export interface ApiRequest extends Pick<KubeRequest, 'method' | 'path' | 'query'> {
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
}

export interface KubeClientOptions extends Pick<KubeHttpClientOptions, 'userAgent' | 'send'> {
  /** loadKubeConfig's, or a client-node KubeConfig. */
  kubeConfig: ClusterAuth;
  metrics?: Pick<Metrics, 'apiRequests'>;
}

/**
 * KUBECONFIG-style path list when given; otherwise in-cluster when the service
 * account is mounted, otherwise ~/.kube/config. The operator's own loader
 * (kube-config.ts) serves it, unless the kubeconfig needs what only
 * client-node's KubeConfig does (an exec plugin, an auth-provider, basic
 * auth, impersonation, a proxy).
 */
export function loadKubeConfig(
  paths: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  where: { serviceAccountDir?: string; home?: string } = {},
): ClusterAuth {
  const saDir = where.serviceAccountDir ?? serviceAccountDir;
  const files = (paths ?? '').split(':').filter((p) => p !== '');
  if (files.length === 0) {
    if (env['KUBERNETES_SERVICE_HOST'] && existsSync(join(saDir, 'token'))) return new OwnKubeConfig(inClusterAccess(env, saDir));
    const home = join(where.home ?? homedir(), '.kube', 'config');
    if (!existsSync(home)) throw new Error('no Kubernetes configuration: set KUBECONFIG or --kubeconfig, or run in a cluster with a service account');
    files.push(home);
  }
  const access = resolveKubeconfig(files.map((path) => ({ path, text: readKubeconfig(path) })));
  switch (access.kind) {
    case 'no-cluster': throw new Error(`kubeconfig ${files[0]} has no current cluster: set current-context`);
    case 'own': return new OwnKubeConfig(access);
    case 'client-node': return clientNodeKubeConfig(files);
  }
}

function readKubeconfig(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function createKubeClient({ kubeConfig, metrics, ...transportOptions }: KubeClientOptions): KubeClient {
  const transport = new KubeHttpClient(kubeConfig, {
    ...transportOptions,
    check: assertDeclared,
    ...(metrics ? { observe: (method: string, url: URL, code: string) => {
      const { verb, resource } = requestAttributes(method, url);
      metrics.apiRequests.inc({ verb, resource, code });
    } } : {}),
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

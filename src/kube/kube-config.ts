import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAuth } from '../runtime/kube-http.ts';
import type { TlsOptions } from '../runtime/connection-pool.ts';
import { kubeConfigClass } from './client-node-config.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { readFileSync } = process.getBuiltinModule('node:fs');
const { isIPv6 } = process.getBuiltinModule('node:net');

// The operator's own kubeconfig and in-cluster loader (issue 13). client-node's
// KubeConfig brings js-yaml, its exec, OIDC, Azure and GCP authenticators,
// SOCKS and HTTP proxy agents: ~10 MiB of RSS before a single Agent exists,
// for credentials the operator almost never meets. This reads what a
// kubeconfig of a cluster admin, a ServiceAccount or a pod holds (server, CA,
// client certificate and key, bearer token or token file, insecure-skip-tls-
// verify, tls-server-name) and hands the transport (src/runtime/kube-http.ts)
// what client-node's KubeConfig does: the Authorization header and the TLS
// material. A kubeconfig that needs more
// (an exec plugin, an auth-provider, basic auth, impersonation, a proxy) is
// loaded with client-node's KubeConfig instead, only then
// (client-node-config.ts), so those users lose nothing.
//
// Files are re-read at most once a minute (client-go's period for a token
// file): a rotated projected ServiceAccount token, certificate or CA reaches
// the next request after that, and the shared connection pool
// (src/runtime/connection-pool.ts) takes the new TLS material within its
// five-minute lifetime.

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';
const refreshMs = 60_000;

export interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  'token-file'?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  [other: string]: unknown;
}

interface KubeconfigDoc {
  clusters?: { name?: string; cluster?: ClusterEntry }[] | null;
  users?: { name?: string; user?: UserEntry }[] | null;
  contexts?: { name?: string; context?: { cluster?: string; user?: string; namespace?: string } }[] | null;
  'current-context'?: string;
}

/** What the current context resolves to: the server and credentials this loader serves, or why client-node's KubeConfig must. */
export type Access =
  | { kind: 'own'; cluster: ClusterEntry & { server: string }; user: UserEntry }
  | { kind: 'client-node'; reason: string }
  | { kind: 'no-cluster' };

// User fields this loader does not serve; any of them hands the kubeconfig to client-node.
const clientNodeUserFields = ['exec', 'auth-provider', 'username', 'password', 'as', 'as-uid', 'as-groups', 'as-user-extra'];

/**
 * The current context of one or more kubeconfig files, merged as kubectl does
 * (the first file that sets current-context names it; the first entry of a
 * name wins). Relative file paths are taken from the file that holds them.
 */
export function resolveKubeconfig(files: readonly { path: string; text: string }[]): Access {
  const clusters = new Map<string, ClusterEntry>();
  const users = new Map<string, UserEntry>();
  const contexts = new Map<string, { cluster?: string; user?: string }>();
  let current: string | undefined;
  for (const { path, text } of files) {
    let doc: KubeconfigDoc | null;
    try {
      doc = parseYaml(text) as KubeconfigDoc | null;
    } catch (err) {
      throw new Error(`kubeconfig ${path} is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    if (doc === null || typeof doc !== 'object') continue;
    const base = dirname(path);
    for (const c of doc.clusters ?? []) if (c?.name && !clusters.has(c.name)) clusters.set(c.name, absolute(c.cluster ?? {}, base, ['certificate-authority']));
    for (const u of doc.users ?? []) if (u?.name && !users.has(u.name)) users.set(u.name, absolute(u.user ?? {}, base, ['client-certificate', 'client-key', 'tokenFile', 'token-file']));
    for (const c of doc.contexts ?? []) if (c?.name && !contexts.has(c.name)) contexts.set(c.name, c.context ?? {});
    current ??= doc['current-context'] || undefined;
  }
  const context = current === undefined ? undefined : contexts.get(current);
  const cluster = context?.cluster === undefined ? undefined : clusters.get(context.cluster);
  if (cluster?.server === undefined || cluster.server === '') return { kind: 'no-cluster' };
  const user = (context?.user === undefined ? undefined : users.get(context.user)) ?? {};
  const field = clientNodeUserFields.find((f) => user[f] !== undefined && user[f] !== null);
  if (field !== undefined) return { kind: 'client-node', reason: `user ${context?.user} has ${field}` };
  if (cluster['proxy-url']) return { kind: 'client-node', reason: `cluster ${context?.cluster} has proxy-url` };
  return { kind: 'own', cluster: { ...cluster, server: cluster.server }, user };
}

function absolute<T extends object>(entry: T, base: string, fields: string[]): T {
  const out = { ...entry } as Record<string, unknown>;
  for (const f of fields) {
    const v = out[f];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) out[f] = join(base, v);
  }
  return out as T;
}

/** In-cluster access as client-go builds it: the service's host and port, the ServiceAccount's CA and token files. */
export function inClusterAccess(env: Readonly<Record<string, string | undefined>>, dir = serviceAccountDir): Access & { kind: 'own' } {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) throw new Error('in a cluster without KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: set KUBECONFIG or --kubeconfig');
  return {
    kind: 'own',
    cluster: { server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, 'certificate-authority': join(dir, 'ca.crt') },
    user: { tokenFile: join(dir, 'token') },
  };
}

/** The transport's view of one cluster and user, over files re-read once a minute. */
export class OwnKubeConfig implements ClusterAuth {
  readonly #cluster: ClusterEntry & { server: string };
  readonly #user: UserEntry;
  readonly #now: () => number;
  readonly #files = new Map<string, { data: Buffer; at: number }>();

  constructor(access: Access & { kind: 'own' }, opts: { now?: () => number } = {}) {
    const { cluster, user } = access;
    let url: URL;
    try {
      url = new URL(cluster.server);
    } catch {
      throw new Error(`kubeconfig: the cluster's server ${JSON.stringify(cluster.server)} is no URL: set server to https://host:port`);
    }
    if (url.protocol === 'http:' && cluster['insecure-skip-tls-verify'] !== true) {
      throw new Error(`kubeconfig: the cluster's server ${cluster.server} is plain HTTP, which would send the credentials unencrypted: use https, or set insecure-skip-tls-verify: true to allow it`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`kubeconfig: the cluster's server ${cluster.server} is neither https nor http`);
    this.#cluster = cluster;
    this.#user = user;
    this.#now = opts.now ?? Date.now;
    // Read once now, so a missing or unreadable file stops the start with its name.
    this.authorization();
    this.tlsOptions();
  }

  getCurrentCluster(): { server: string } {
    return { server: this.#cluster.server };
  }

  /** The Authorization header's value: the token, or the token file's content (re-read once a minute). */
  authorization(): string | undefined {
    const file = this.#user.tokenFile ?? this.#user['token-file'];
    const token = this.#user.token || (file ? this.#read(file, 'token file').toString('utf8').trim() : undefined);
    return token ? `Bearer ${token}` : undefined;
  }

  /** TLS options for the connection pool: only what the kubeconfig sets (else node's defaults, the system's CAs). */
  tlsOptions(): TlsOptions {
    const c = this.#cluster;
    const u = this.#user;
    return {
      ...pick('ca', this.#material(c['certificate-authority'], c['certificate-authority-data'], 'certificate-authority')),
      ...pick('cert', this.#material(u['client-certificate'], u['client-certificate-data'], 'client-certificate')),
      ...pick('key', this.#material(u['client-key'], u['client-key-data'], 'client-key')),
      ...(c['insecure-skip-tls-verify'] === true ? { rejectUnauthorized: false } : {}),
      ...(c['tls-server-name'] ? { servername: c['tls-server-name'] } : {}),
    };
  }

  /** As client-node's KubeConfig does: the Authorization header and the TLS material of one request. */
  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const auth = this.authorization();
    if (auth !== undefined) opts.headers = { ...opts.headers, Authorization: auth };
    Object.assign(opts, this.tlsOptions());
  }

  #material(file: string | undefined, data: string | undefined, field: string): Buffer | undefined {
    if (file) return this.#read(file, field);
    if (data) return Buffer.from(data, 'base64');
    return undefined;
  }

  #read(path: string, field: string): Buffer {
    const now = this.#now();
    const cached = this.#files.get(path);
    if (cached && now - cached.at < refreshMs) return cached.data;
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (err) {
      // A file that vanished for a moment (a projected volume's swap) keeps its last content.
      if (cached) return cached.data;
      throw new Error(`kubeconfig: cannot read the ${field} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    this.#files.set(path, { data, at: now });
    return data;
  }
}

function pick<K extends string>(key: K, value: Buffer | undefined): Partial<Record<K, Buffer>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, Buffer>);
}

/** client-node's KubeConfig over the same files, for what this loader does not serve. */
export function clientNodeKubeConfig(paths: readonly string[]): KubeConfig {
  const Config = kubeConfigClass();
  const kc = new Config();
  const [first, ...rest] = paths;
  if (first === undefined) {
    kc.loadFromCluster();
    return kc;
  }
  kc.loadFromFile(first);
  for (const file of rest) {
    const more = new Config();
    more.loadFromFile(file);
    // kubectl's merge, as resolveKubeconfig does it: the first current-context
    // and the first entry of each name win. client-node's mergeConfig takes a
    // later file's current-context and throws on a name seen before.
    const seen = (known: readonly { name: string }[]) => (e: { name: string }) => !known.some((k) => k.name === e.name);
    more.clusters = more.clusters.filter(seen(kc.clusters));
    more.users = more.users.filter(seen(kc.users));
    more.contexts = more.contexts.filter(seen(kc.contexts));
    kc.mergeConfig(more, Boolean(kc.currentContext));
  }
  return kc;
}

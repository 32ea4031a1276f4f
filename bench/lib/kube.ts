// A small Kubernetes client for the benchmark: node:https with one keep-alive
// agent, so the bench's own requests cost little CPU on the machine it shares
// with the control plane and the operator (client-node opens a new TLS
// connection per request). Auth and TLS come from the kubeconfig through
// client-node's applyToHTTPSOptions.
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export class ApiError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface KubeObject { metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown }; [k: string]: unknown }

export interface Watcher {
  /** Resolves once the first watch connection answered (events from then on are seen). */
  ready: Promise<void>;
  stop(): void;
}

export class Kube {
  readonly server: URL;
  readonly #agent: https.Agent;
  readonly #headers: Record<string, string>;

  private constructor(server: URL, agent: https.Agent, headers: Record<string, string>) {
    this.server = server;
    this.#agent = agent;
    this.#headers = headers;
  }

  static async connect(kubeconfigPath: string, maxSockets = 64): Promise<Kube> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`${kubeconfigPath}: no current cluster`);
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const agent = new https.Agent({
      keepAlive: true, maxSockets,
      ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.cert ? { cert: opts.cert } : {}), ...(opts.key ? { key: opts.key } : {}),
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    });
    const headers: Record<string, string> = { 'User-Agent': 'agent-operator-bench' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    return new Kube(new URL(cluster.server), agent, headers);
  }

  #url(path: string, query: RequestOptions['query'] = {}): URL {
    const url = new URL(this.server.href.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.#url(path, opts.query);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, {
        method, agent: this.#agent,
        headers: { ...this.#headers, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': opts.contentType ?? 'application/json' } : {}) },
        timeout: opts.timeoutMs ?? 60_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve((text === '' ? undefined : JSON.parse(text)) as T);
          let message = text.slice(0, 300);
          try { message = (JSON.parse(text) as { message?: string }).message ?? message; } catch { /* not JSON */ }
          reject(new ApiError(code, `${method} ${path}: ${code} ${message}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Watches `path` from `resourceVersion` (or from now when omitted),
   * reconnecting from the last version seen; a 410 Gone restarts from now.
   * `onEvent` runs synchronously on the bench's event loop as each line arrives.
   */
  watch(path: string, query: Record<string, string>, onEvent: (type: WatchType, obj: KubeObject, at: number) => void, resourceVersion?: string): Watcher {
    let rv = resourceVersion;
    let stopped = false;
    let current: ReturnType<typeof https.request> | undefined;
    let markReady: () => void = () => {};
    const ready = new Promise<void>((r) => { markReady = r; });
    const connect = () => {
      if (stopped) return;
      const url = this.#url(path, { ...query, watch: true, allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) });
      const req = https.request(url, { method: 'GET', agent: this.#agent, headers: { ...this.#headers, Accept: 'application/json' } }, (res) => {
        markReady();
        // An error answer (a 429 from priority and fairness on a loaded machine,
        // a 5xx) is one Status object, not a stream of events: try again shortly.
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', () => setTimeout(connect, 500));
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const text = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (text === '') continue;
            const ev = JSON.parse(text) as { type?: string; object?: KubeObject & { code?: number } };
            if (ev.object === undefined) continue;
            if (ev.type === 'ERROR') {
              if (ev.object.code === 410) rv = undefined;
              continue;
            }
            rv = ev.object.metadata?.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') continue;
            onEvent(ev.type as WatchType, ev.object, at);
          }
        });
        res.on('end', () => setTimeout(connect, 100));
        res.on('error', () => setTimeout(connect, 500));
      });
      req.on('error', () => { if (!stopped) setTimeout(connect, 500); });
      req.end();
      current = req;
    };
    connect();
    return { ready, stop: () => { stopped = true; current?.destroy(); } };
  }

  close(): void {
    this.#agent.destroy();
  }
}

import type { RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * client-node 2.x's applySecurityAuthentication builds a new undici Agent
 * (carrying CA, client certificate and proxy) for every request, so every
 * request paid a TCP + TLS handshake: half the operator's CPU at 1,000 Agents
 * (bench/client-overhead.ts). This keeps one and puts it on every request,
 * so connections are kept alive and reused; the per-request one, never
 * connected, is closed at no cost. It is replaced after `maxAgeMs` so a
 * rotated client certificate or CA file is picked up; the old one closes
 * gracefully (in-flight requests and watches finish first).
 *
 * HTTP/1.1 only. The undici client-node 2.x ships (8.x) offers HTTP/2, the
 * apiserver takes it, and then every watch and every write of the operator
 * is a stream on one TCP connection: when that connection wedged (the
 * fault-network e2e under CPU load), every watch and reconcile waited on it
 * for two minutes, until undici's ping check (two 60 s intervals) gave up on
 * it; over HTTP/1.1 the same faults cost 8 s. With a connection per
 * request in flight, a bad connection costs only its own request, which the
 * watch's inactivity timer or the request deadline ends. (A server without
 * any TLS option in the kubeconfig gets fetch's global pool, untouched.)
 */
export class SharedDispatcher {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #current: { pool: Dispatcher; dispatcher: Dispatcher; since: number } | undefined;

  constructor(opts: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Call after applySecurityAuthentication: swaps the request's fresh dispatcher for the shared one. */
  adopt(ctx: RequestContext): void {
    const fresh = ctx.getDispatcher();
    if (fresh === undefined) return; // plain http without TLS options: fetch's global pool is shared already
    const now = this.#now();
    const current = this.#current;
    if (current && now - current.since < this.#maxAgeMs) {
      if (fresh !== current.pool) void fresh.close().catch(() => {});
      ctx.setDispatcher(current.dispatcher);
      return;
    }
    this.#current = { pool: fresh, dispatcher: http1Only(fresh), since: now };
    ctx.setDispatcher(this.#current.dispatcher);
    if (current) void current.dispatcher.close().catch(() => {});
  }
}

/** The same pool, every request of it asking for HTTP/1.1 (undici keys such pools apart: `<origin>#http1-only`). */
function http1Only(d: Dispatcher): Dispatcher {
  return d.compose((dispatch) => (opts, handler) => dispatch({ ...opts, allowH2: false } as typeof opts, handler));
}

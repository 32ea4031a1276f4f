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
 */
export class SharedDispatcher {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #current: { dispatcher: Dispatcher; since: number } | undefined;

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
      if (fresh !== current.dispatcher) void fresh.close().catch(() => {});
      ctx.setDispatcher(current.dispatcher);
      return;
    }
    this.#current = { dispatcher: fresh, since: now };
    if (current) void current.dispatcher.close().catch(() => {});
  }
}

// The HTTP reload call of reload mode HTTP: straight to the pod IP, as
// Prometheus scrapes a pod, not through the apiserver's pod proxy. The proxy
// would need `pods/proxy` (which reaches every port of every pod in the
// namespace, a far wider grant than the reload needs) and puts every reload
// of a 200-node DaemonSet through the apiserver. The cost: the operator must
// reach pod IPs (a NetworkPolicy that isolates the agents must admit it; an
// operator run outside the cluster network sees its calls fail, reported as
// ConfigReloadFailed, never silently).

export interface ReloadOutcome { ok: boolean; error?: string }
export type CallReload = (call: { url: string; method: string }) => Promise<ReloadOutcome>;

/** Any 2xx within the timeout is success; the answer's body is read (bounded by the timeout) and dropped. */
export function httpReload(timeoutMs = 5_000): CallReload {
  return async ({ url, method }) => {
    try {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      const body = await res.text().catch(() => '');
      if (res.status >= 200 && res.status < 300) return { ok: true };
      return { ok: false, error: `HTTP ${res.status}${body ? `: ${body.trim().split('\n', 1)[0]!.slice(0, 200)}` : ''}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { ok: false, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message) };
    }
  };
}

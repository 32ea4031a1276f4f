// The one way e2e tests wait: poll until a check passes, never a fixed sleep.
// On timeout the error says what was awaited and shows the last error or value,
// so a failing e2e test reads as "Ready never became True; last value: False".
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** give up after this long (scaled by E2E_TIMEOUT_SCALE); default 60s */
  timeoutMs?: number;
  /** pause between attempts; default 250ms */
  intervalMs?: number;
  /** what is awaited, for the timeout message */
  message?: string;
}

/** E2E_TIMEOUT_SCALE=3 triples every timeout, for slow or loaded machines. */
export function scaled(ms: number): number {
  const scale = Number(process.env.E2E_TIMEOUT_SCALE ?? '1');
  return Number.isFinite(scale) && scale > 0 ? ms * scale : ms;
}

/**
 * Calls fn until it neither throws nor returns false, and returns its value.
 * Assertions inside fn are the usual way to say "not yet".
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeoutMs = scaled(options.timeoutMs ?? 60_000);
  const intervalMs = options.intervalMs ?? 250;
  const started = Date.now();
  let attempts = 0;
  let last: { error: unknown } | { value: unknown } = { value: undefined };
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value !== false) return value as Exclude<T, false>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() - started >= timeoutMs) break;
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - (Date.now() - started))));
  }
  const what = options.message ?? 'condition';
  const detail = 'error' in last ? `last error: ${describe(last.error)}` : `last value: ${describe(last.value)}`;
  const err = new Error(`${what}: not met within ${timeoutMs}ms (${attempts} attempts); ${detail}`);
  if ('error' in last) err.cause = last.error;
  throw err;
}

/** A readable one-liner for errors from assert and from the Kubernetes client. */
export function describe(x: unknown): string {
  if (x instanceof Error) {
    const api = x as Error & { code?: unknown; body?: unknown };
    if (typeof api.code === 'number' && api.body !== undefined) {
      const body = typeof api.body === 'string' ? tryParse(api.body) : api.body;
      const message = (body as { message?: unknown } | undefined)?.message;
      return `HTTP ${api.code}: ${typeof message === 'string' ? message : JSON.stringify(body)}`;
    }
    return x.message.split('\n').slice(0, 12).join('\n');
  }
  if (typeof x === 'string') return x;
  const json = JSON.stringify(x);
  return json === undefined ? String(x) : json.length > 2000 ? `${json.slice(0, 2000)}…` : json;
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

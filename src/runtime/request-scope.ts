import { AsyncLocalStorage } from 'node:async_hooks';

// The abort signal of the reconcile a request is made for, carried to the HTTP
// layer the way Go passes a context: every request a reconcile starts, however
// deep in gather/act/events and whoever adds it later, is cancelled when the
// controller aborts its reconciles (shutdown deadline, lost leadership), so no
// write of the old leader is still in flight once the Lease is released.
// The transport (kube-http.ts) reads it; the Controller sets it around each
// reconcile.

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs fn with `signal` as the abort signal of every request it makes. */
export function withRequestSignal<T>(signal: AbortSignal, fn: () => T): T {
  return scope.run(signal, fn);
}

/**
 * The signal a request must honour: its own (if any), the enclosing
 * reconcile's (if any) and the others given, combined; undefined when none.
 */
export function requestSignal(...own: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const signals = [...own, scope.getStore()].filter((s): s is AbortSignal => s !== undefined);
  return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
}

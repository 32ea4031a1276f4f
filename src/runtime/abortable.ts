/** Settles with the promise, or rejects as soon as the signal aborts, so a call that ignores its signal cannot wedge a loop. */
export function abortable<R>(promise: Promise<R>, signal: AbortSignal): Promise<R> {
  if (signal.aborted) {
    // The call was already made; its own rejection must not go unhandled (that would crash the process).
    promise.catch(() => {});
    return Promise.reject(new DOMException('aborted', 'AbortError'));
  }
  return new Promise<R>((resolve, reject) => {
    const onAbort = (): void => reject(new DOMException('aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

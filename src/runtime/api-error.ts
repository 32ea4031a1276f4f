/** The apiserver's Status object, as sent in error responses and watch ERROR events. */
export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number; [k: string]: unknown };
}

/** An HTTP-level failure from the apiserver, with what the retry logic needs to know. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, message: string, opts: { reason?: string; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = opts.reason;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  static fromStatus(status: Status, httpStatus?: number, retryAfterHeader?: string): KubeApiError {
    const code = status.code ?? httpStatus ?? 500;
    const headerSeconds = retryAfterHeader === undefined ? undefined : Number.parseInt(retryAfterHeader, 10);
    const retryAfterSeconds = Number.isFinite(headerSeconds) ? headerSeconds : status.details?.retryAfterSeconds;
    return new KubeApiError(code, status.message ?? status.reason ?? `HTTP ${code}`, {
      ...(status.reason !== undefined ? { reason: status.reason } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
}

/** 410 Gone / reason Expired: the resourceVersion is older than etcd keeps; relist. */
export function isGone(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && (err.status === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

export function isTooManyRequests(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.status === 429;
}

export function isConflict(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.status === 409;
}

export function isNotFound(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.status === 404;
}

/** What the request resolves to, or undefined when the object does not exist (404). */
export async function ifFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

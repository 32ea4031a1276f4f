import { isConflict, isNotFound, KubeApiError } from '../runtime/api-error.ts';
import type { KubeClient } from './client.ts';
import { microTime, parseTime } from './time.ts';

// The Lease I/O leader election needs (coordination.k8s.io/v1), and nothing
// else: the election logic lives in src/runtime. Updates carry the
// resourceVersion they were based on, so two candidates racing for an expired
// lease cannot both win: the loser gets LeaseConflictError and re-reads.

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions?: number;
}

export interface LeaseRecord {
  spec: LeaseSpec;
  resourceVersion: string;
}

/** 409: someone else created or updated the Lease since we read it. */
export class LeaseConflictError extends KubeApiError {
  constructor(message: string) {
    super(409, message, { reason: 'Conflict' });
    this.name = 'LeaseConflictError';
  }
}

export interface LeaseIO {
  getLease(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  /** Throws LeaseConflictError when the Lease already exists. */
  createLease(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord>;
  /** Throws LeaseConflictError when the Lease changed since `resourceVersion`. */
  updateLease(namespace: string, name: string, spec: LeaseSpec, resourceVersion: string): Promise<LeaseRecord>;
}

const leasesPath = (namespace: string): string => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;

interface LeaseJson {
  metadata?: { resourceVersion?: string };
  spec?: Record<string, unknown>;
}

export function leaseIO(client: KubeClient): LeaseIO {
  const conflictsTyped = async (fn: () => Promise<LeaseJson>): Promise<LeaseRecord> => {
    try {
      return fromJson(await fn());
    } catch (err) {
      if (isConflict(err)) throw new LeaseConflictError((err as Error).message);
      throw err;
    }
  };
  return {
    async getLease(namespace, name) {
      try {
        return fromJson(await client.request<LeaseJson>({ method: 'GET', path: `${leasesPath(namespace)}/${encodeURIComponent(name)}` }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    createLease: (namespace, name, spec) =>
      conflictsTyped(() => client.request<LeaseJson>({
        method: 'POST',
        path: leasesPath(namespace),
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: toJson(spec) },
      })),
    updateLease: (namespace, name, spec, resourceVersion) =>
      conflictsTyped(() => client.request<LeaseJson>({
        method: 'PUT',
        path: `${leasesPath(namespace)}/${encodeURIComponent(name)}`,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, resourceVersion }, spec: toJson(spec) },
      })),
  };
}

export function toJson(spec: LeaseSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.holderIdentity !== undefined) out['holderIdentity'] = spec.holderIdentity;
  if (spec.leaseDurationSeconds !== undefined) out['leaseDurationSeconds'] = spec.leaseDurationSeconds;
  if (spec.acquireTime !== undefined) out['acquireTime'] = microTime(spec.acquireTime);
  if (spec.renewTime !== undefined) out['renewTime'] = microTime(spec.renewTime);
  if (spec.leaseTransitions !== undefined) out['leaseTransitions'] = spec.leaseTransitions;
  return out;
}

function fromJson(lease: LeaseJson): LeaseRecord {
  const s = lease.spec ?? {};
  const spec: LeaseSpec = {};
  if (typeof s['holderIdentity'] === 'string') spec.holderIdentity = s['holderIdentity'];
  if (typeof s['leaseDurationSeconds'] === 'number') spec.leaseDurationSeconds = s['leaseDurationSeconds'];
  const acquire = parseTime(s['acquireTime']);
  if (acquire) spec.acquireTime = acquire;
  const renew = parseTime(s['renewTime']);
  if (renew) spec.renewTime = renew;
  if (typeof s['leaseTransitions'] === 'number') spec.leaseTransitions = s['leaseTransitions'];
  return { spec, resourceVersion: lease.metadata?.resourceVersion ?? '' };
}

import { ifFound, isConflict } from './api-error.ts';
import { requestJson, type KubeTransport } from './kube-http.ts';
import { LeaseConflictError, type LeaseRecord, type LeaseSpec, type LeaseStore } from './leader-election.ts';

interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

/**
 * A coordination.k8s.io/v1 Lease over raw JSON. client-node's generated Lease
 * API serialises a plain Date with 3 fractional digits, which the apiserver
 * rejects for MicroTime fields; here the elector writes the strings itself.
 * Updates are PUTs of the whole object carrying its resourceVersion.
 */
export class KubeLeaseStore implements LeaseStore {
  readonly description: string;
  readonly #transport: KubeTransport;
  readonly #namespace: string;
  readonly #name: string;
  /** The object last read, so a PUT keeps labels and annotations others put on the Lease. */
  #last: LeaseObject | undefined;

  constructor(transport: KubeTransport, namespace: string, name: string) {
    this.#transport = transport;
    this.#namespace = namespace;
    this.#name = name;
    this.description = `${namespace}/${name}`;
  }

  async get(signal: AbortSignal): Promise<LeaseRecord | undefined> {
    const lease = await ifFound(requestJson<LeaseObject>(this.#transport, { method: 'GET', path: this.#path(this.#name), signal }));
    if (lease === undefined) return undefined;
    this.#last = lease;
    return toRecord(lease);
  }

  async create(spec: LeaseSpec, signal: AbortSignal): Promise<LeaseRecord> {
    const body: LeaseObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#name, namespace: this.#namespace }, spec };
    return this.#write('POST', this.#path(), body, signal);
  }

  async update(lease: LeaseRecord, signal: AbortSignal): Promise<LeaseRecord> {
    const base = this.#last ?? { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#name, namespace: this.#namespace } };
    const body: LeaseObject = { ...base, metadata: { ...base.metadata, resourceVersion: lease.resourceVersion }, spec: lease.spec };
    return this.#write('PUT', this.#path(this.#name), body, signal);
  }

  async #write(method: 'POST' | 'PUT', path: string, body: LeaseObject, signal: AbortSignal): Promise<LeaseRecord> {
    try {
      this.#last = await requestJson<LeaseObject>(this.#transport, {
        method,
        path,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      return toRecord(this.#last);
    } catch (err) {
      if (isConflict(err)) throw new LeaseConflictError();
      throw err;
    }
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }
}

function toRecord(obj: LeaseObject): LeaseRecord {
  return { spec: obj.spec ?? {}, resourceVersion: obj.metadata.resourceVersion ?? '' };
}

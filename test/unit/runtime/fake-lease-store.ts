import { LeaseConflictError, type LeaseRecord, type LeaseSpec, type LeaseStore } from '../../../src/runtime/leader-election.ts';

/** The apiserver's view of one Lease: resourceVersion checks and 409s included. */
export class FakeLeaseStore implements LeaseStore {
  readonly description = 'operator-system/agent-operator';
  lease: LeaseRecord | undefined;
  failure: Error | 'hang' | undefined;
  readonly writes: LeaseSpec[] = [];
  /** GETs answered. */
  reads = 0;
  #rv = 0;

  async get(): Promise<LeaseRecord | undefined> {
    await this.#gate();
    this.reads++;
    return this.lease && structuredClone(this.lease);
  }

  async create(spec: LeaseSpec): Promise<LeaseRecord> {
    await this.#gate();
    if (this.lease) throw new LeaseConflictError();
    return this.#store(spec);
  }

  async update(rec: LeaseRecord): Promise<LeaseRecord> {
    await this.#gate();
    if (!this.lease || rec.resourceVersion !== this.lease.resourceVersion) throw new LeaseConflictError();
    return this.#store(rec.spec);
  }

  /** Another process writes the lease directly. */
  setByOther(spec: LeaseSpec): void {
    this.lease = { spec, resourceVersion: String(++this.#rv) };
  }

  #store(spec: LeaseSpec): LeaseRecord {
    this.writes.push(structuredClone(spec));
    this.lease = { spec: structuredClone(spec), resourceVersion: String(++this.#rv) };
    return structuredClone(this.lease);
  }

  #gate(): Promise<void> {
    if (this.failure === 'hang') return new Promise(() => {});
    if (this.failure) return Promise.reject(this.failure);
    return Promise.resolve();
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseRecord, LeaseSpec, LeaseStore } from '../../../src/runtime/leader-election.ts';
import { ShardElection, fnv1a32, shardLeaseName, shardOf } from '../../../src/runtime/shards.ts';
import { FakeLeaseStore } from './fake-lease-store.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';

describe('shardOf', () => {
  it('is FNV-1a 32 (the published test vectors)', () => {
    for (const [input, want] of [['', 0x811c9dc5], ['a', 0xe40c292c], ['foobar', 0xbf9cf968]] as const) {
      assert.equal(fnv1a32(input), want, JSON.stringify(input));
    }
  });

  it('maps a key to the same shard in every process (pinned values), and one shard when there is one', () => {
    const table: [string, number, number][] = [
      ['default/bench-00001', 2, fnv1a32('default/bench-00001') % 2],
      ['team-a/agent', 3, 0xe05b9688 % 3],
      ['team-a/agent', 1, 0],
      ['ünïcode/x', 4, fnv1a32('ünïcode/x') % 4],
    ];
    for (const [key, count, want] of table) assert.equal(shardOf(key, count), want, `${key} over ${count}`);
    assert.equal(fnv1a32('team-a/agent'), 0xe05b9688, 'a change of hash moves every Agent to another shard: pinned');
  });

  it('spreads 10,000 Agent keys evenly (within 5 %) over 2, 3 and 8 shards', () => {
    for (const count of [2, 3, 8]) {
      const per = new Array<number>(count).fill(0);
      for (let i = 1; i <= 10_000; i++) per[shardOf(`agent-bench-1a2b3c/bench-${String(i).padStart(5, '0')}`, count)]!++;
      const even = 10_000 / count;
      for (const n of per) assert.ok(Math.abs(n - even) / even < 0.05, `${count} shards: ${per.join(', ')}`);
    }
  });

  it('names shard leases after the leader lease', () => {
    assert.equal(shardLeaseName('agent-operator-leader', 3), 'agent-operator-leader-shard-3');
  });
});

/** One replica's view of a shared lease: `dead` makes every request hang (a crashed or cut-off process). */
class ReplicaStore implements LeaseStore {
  dead = false;
  readonly #shared: FakeLeaseStore;
  constructor(shared: FakeLeaseStore) {
    this.#shared = shared;
  }
  get description(): string {
    return this.#shared.description;
  }
  get(): Promise<LeaseRecord | undefined> {
    return this.dead ? new Promise(() => {}) : this.#shared.get();
  }
  create(spec: LeaseSpec): Promise<LeaseRecord> {
    return this.dead ? new Promise(() => {}) : this.#shared.create(spec);
  }
  update(rec: LeaseRecord): Promise<LeaseRecord> {
    return this.dead ? new Promise(() => {}) : this.#shared.update(rec);
  }
}

function replica(clock: FakeClock, leases: FakeLeaseStore[], identity: string) {
  const stores = leases.map((l) => new ReplicaStore(l));
  const log: string[] = [];
  const shards = new ShardElection({
    count: leases.length,
    store: (i) => stores[i]!,
    elector: { identity, clock, random: fixedRandom(0) },
    onGained: (i) => log.push(`gained ${i}`),
    onLost: (i) => log.push(`lost ${i}`),
  });
  return { shards, stores, log, die: () => { for (const s of stores) s.dead = true; } };
}

/** Replicas a and b started together on `count` shard leases, after `ms` of electing. */
async function pair(count: number, ms: number) {
  const clock = new FakeClock();
  const leases = Array.from({ length: count }, () => new FakeLeaseStore());
  const a = replica(clock, leases, 'a');
  const b = replica(clock, leases, 'b');
  a.shards.start();
  b.shards.start();
  await clock.advance(ms);
  return { clock, leases, a, b };
}

const holders = (leases: FakeLeaseStore[]) => leases.map((l) => l.lease?.spec.holderIdentity ?? '');

describe('ShardElection', () => {
  it('two replicas starting together split four shards two and two, one holder per lease', async () => {
    const { leases, a, b } = await pair(4, 120_000);
    assert.equal(a.shards.held().length, 2, `a holds ${a.shards.held()}, b holds ${b.shards.held()}`);
    assert.equal(b.shards.held().length, 2);
    for (let i = 0; i < 4; i++) assert.notEqual(a.shards.holds(i), b.shards.holds(i), `shard ${i} held by exactly one`);
    assert.deepEqual(holders(leases).map((h, i) => h === (a.shards.holds(i) ? 'a' : 'b')), [true, true, true, true]);
    await a.shards.stop();
    await b.shards.stop();
  });

  it('one replica alone takes every shard, a free one after h x leaseDuration', async () => {
    const clock = new FakeClock();
    const leases = Array.from({ length: 3 }, () => new FakeLeaseStore());
    const a = replica(clock, leases, 'a');
    a.shards.start();
    await clock.advance(1_000);
    assert.equal(a.shards.held().length, 1, 'the first at once');
    await clock.advance(60_000);
    assert.deepEqual(a.shards.held(), [0, 1, 2]);
    await a.shards.stop();
    assert.deepEqual(holders(leases), ['', '', ''], 'released on a graceful stop');
  });

  it("a crashed replica's shards are taken over at expiry (leaseDuration + retryPeriod), not after the balancing wait", async () => {
    const { clock, a, b } = await pair(4, 120_000);
    const lost = a.shards.held();
    assert.equal(lost.length, 2);
    const lastRenew = clock.now();
    a.die();
    // a notices at renewDeadline (10 s) and must stop writing: its onLost ends the process in main.ts.
    await clock.advance(10_000);
    assert.deepEqual(a.log.filter((l) => l.startsWith('lost')).length, 2, a.log.join(', '));
    // b takes them when they expire, by its own observation: within 15 s + 2.4 s of a's last renew.
    while (b.shards.held().length < 4 && clock.now() - lastRenew < 30_000) await clock.advance(100);
    const took = (clock.now() - lastRenew) / 1000;
    assert.deepEqual(b.shards.held(), [0, 1, 2, 3]);
    assert.ok(took <= 17.5, `taken over ${took} s after the last renew`);
    assert.ok(took >= 15, `not before expiry: ${took} s`);
    await b.shards.stop();
  });

  it("a replica starting later gets the shards a stopped replica released, before the survivor's balancing wait", async () => {
    const { clock, leases, a, b } = await pair(2, 60_000);
    const released = b.shards.held();
    assert.equal(released.length, 1);
    await b.shards.stop();
    const c = replica(clock, leases, 'c');
    c.shards.start();
    await clock.advance(5_000);
    assert.deepEqual(c.shards.held(), released, 'the new replica, holding nothing, takes the released shard first');
    assert.equal(a.shards.held().length, 1);
    await a.shards.stop();
    await c.shards.stop();
  });

  it('refuses a count below one', () => {
    assert.throws(() => new ShardElection({ count: 0, store: () => new FakeLeaseStore(), onGained: () => {}, onLost: () => {} }), /count must be/);
  });
});

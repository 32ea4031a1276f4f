import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Controller } from '../../../src/runtime/controller.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import { microTime } from '../../../src/lib/time.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { ShardElection, shardOf } from '../../../src/runtime/shards.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';
import { FakeLeaseStore } from './fake-lease-store.ts';
import { FakeListWatcher, obj, type TestObject } from './fake-list-watch.ts';

function setup(opts: { election?: boolean; reconcileMs?: number } = {}) {
  const clock = new FakeClock();
  const lw = new FakeListWatcher<TestObject>();
  lw.put(obj('a', '1', { generation: 1 }));
  const informer = new Informer<TestObject>({ name: 'agents', listWatcher: lw, clock, random: fixedRandom(0) });
  const reconciled: string[] = [];
  const log: string[] = [];
  const controller = new Controller({
    name: 'agent',
    clock,
    reconcile: async (key) => {
      reconciled.push(key);
      log.push(`reconcile ${key} start`);
      if (opts.reconcileMs) await clock.sleep(opts.reconcileMs);
      log.push(`reconcile ${key} end`);
    },
  }).forPrimary(informer);
  const store = new FakeLeaseStore();
  let lost = 0;
  const manager = new Manager({
    clock,
    ...(opts.election ? { leaderElection: { store, identity: 'me', clock, random: fixedRandom(0) } } : {}),
    onLostLeadership: () => { lost++; },
  });
  manager.addInformer(informer).addController(controller);
  return { clock, lw, informer, controller, store, manager, reconciled, log, lost: () => lost };
}

describe('Manager', () => {
  it('without leader election, starts controllers once caches sync and reports ready and healthy', async () => {
    const s = setup();
    assert.deepEqual(s.manager.notReady(), ['agents']);
    void s.manager.start();
    await s.clock.flush();
    assert.deepEqual(s.manager.notReady(), []);
    assert.equal(s.manager.healthy(), true);
    assert.equal(s.manager.isLeader(), true);
    assert.deepEqual(s.reconciled, ['ns/a']);
    await s.manager.stop();
    assert.equal(s.manager.healthy(), false);
  });

  it('on a standby, syncs caches (ready) but reconciles nothing until it gets the lease', async () => {
    const s = setup({ election: true });
    s.store.setByOther({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: microTime(s.clock.now()) });
    void s.manager.start();
    await s.clock.advance(10_000);
    assert.deepEqual(s.manager.notReady(), []);
    assert.equal(s.manager.isLeader(), false);
    assert.deepEqual(s.reconciled, []);
    await s.clock.advance(8_000);
    assert.equal(s.manager.isLeader(), true);
    assert.deepEqual(s.reconciled, ['ns/a']);
    await s.manager.stop();
  });

  it('stops in order: drains the in-flight reconcile, then releases the lease, then closes the watches', async () => {
    const s = setup({ election: true, reconcileMs: 5_000 });
    const done = s.manager.start();
    await s.clock.advance(1_000);
    assert.deepEqual(s.log, ['reconcile ns/a start']);
    const stopping = s.manager.stop();
    await s.clock.advance(3_999);
    assert.equal(s.store.lease!.spec.holderIdentity, 'me', 'lease kept while a reconcile may still write');
    await s.clock.advance(1);
    await stopping;
    await done;
    assert.deepEqual(s.log, ['reconcile ns/a start', 'reconcile ns/a end']);
    assert.equal(s.store.lease!.spec.holderIdentity, '');
    assert.equal(s.lw.current, undefined, 'watch closed');
    assert.equal(s.lost(), 0);
  });

  it('gives up draining after the shutdown timeout', async () => {
    const s = setup({ reconcileMs: 3_600_000 });
    void s.manager.start();
    await s.clock.flush();
    let stopped = false;
    void s.manager.stop().then(() => { stopped = true; });
    await s.clock.advance(30_000);
    assert.equal(stopped, false, 'a reconcile that ignores its signal gets 5 s to unwind');
    await s.clock.advance(5_000);
    assert.equal(stopped, true);
  });

  it('on losing the lease stops taking work and calls onLostLeadership', async () => {
    const s = setup({ election: true });
    void s.manager.start();
    await s.clock.advance(1_000);
    assert.equal(s.manager.isLeader(), true);
    s.store.failure = new Error('apiserver unreachable');
    await s.clock.advance(10_000);
    assert.equal(s.lost(), 1);
    assert.equal(s.manager.isLeader(), false);
    s.controller.queue.add('ns/after');
    assert.equal(s.controller.queue.len(), 0, 'the queue takes no more work');
    s.store.failure = undefined;
    await s.manager.stop();
  });

  it('stops when the start signal aborts', async () => {
    const s = setup();
    const ac = new AbortController();
    const done = s.manager.start(ac.signal);
    await s.clock.flush();
    ac.abort();
    await done;
    assert.equal(s.manager.healthy(), false);
  });

  it('started with a signal already aborted, never leads and reconciles nothing', async () => {
    const s = setup();
    const done = s.manager.start(AbortSignal.abort());
    assert.equal(s.manager.isLeader(), false);
    await done;
    await s.clock.flush();
    assert.deepEqual(s.reconciled, []);
  });

  it('a second start() returns the same run: both settle on stop', async () => {
    const s = setup();
    const first = s.manager.start();
    const second = s.manager.start();
    await s.clock.flush();
    await s.manager.stop();
    const settled = (p: Promise<void>) => Promise.race([p.then(() => 'settled'), s.clock.flush().then(() => 'still running')]);
    assert.equal(await settled(first), 'settled');
    assert.equal(await settled(second), 'settled');
  });

  it('refuses leader election and shards together', () => {
    const clock = new FakeClock();
    const shards = new ShardElection({ count: 2, store: () => new FakeLeaseStore(), elector: { identity: 'me', clock }, onGained: () => {}, onLost: () => {} });
    assert.throws(
      () => new Manager({ clock, shards, leaderElection: { store: new FakeLeaseStore(), identity: 'me', clock } }),
      { message: 'manager: leaderElection and shards are exclusive' },
    );
  });

  it('sharded: reconciles the keys of the shard it gains, from the warm cache, and treats a lost shard as lost leadership', async () => {
    const clock = new FakeClock();
    const lw = new FakeListWatcher<TestObject>();
    // two keys in different shards of 2
    const names = ['a', 'b', 'c', 'd', 'e'].filter((n, _, all) => all.some((m) => shardOf(`ns/${m}`, 2) !== shardOf(`ns/${n}`, 2)));
    const [mine, theirs] = [names.find((n) => shardOf(`ns/${n}`, 2) === 0)!, names.find((n) => shardOf(`ns/${n}`, 2) === 1)!];
    lw.put(obj(mine, '1', { generation: 1 }));
    lw.put(obj(theirs, '1', { generation: 1 }));
    const informer = new Informer<TestObject>({ name: 'agents', listWatcher: lw, clock, random: fixedRandom(0) });
    const reconciled: string[] = [];
    const leases = [new FakeLeaseStore(), new FakeLeaseStore()];
    leases[1]!.setByOther({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: microTime(clock.now()) });
    let lost = 0;
    let manager: Manager | undefined;
    const shards = new ShardElection({
      count: 2, store: (i) => leases[i]!, elector: { identity: 'me', clock, random: fixedRandom(0) },
      onGained: (i) => manager!.shardGained((key) => shardOf(key, 2) === i), onLost: () => manager!.shardLost(),
    });
    const controller = new Controller({
      name: 'agent', clock, accepts: (key) => shards.holds(shardOf(key, 2)),
      reconcile: async (key) => { reconciled.push(key); },
    }).forPrimary(informer);
    manager = new Manager({ clock, shards, onLostLeadership: () => { lost++; } });
    manager.addInformer(informer).addController(controller);
    void manager.start();
    await clock.advance(5_000);
    assert.deepEqual(shards.held(), [0]);
    assert.equal(manager.isLeader(), true);
    assert.deepEqual(reconciled, [`ns/${mine}`], 'only the key of the shard it holds');
    // 'other' stops renewing: shard 1 is taken at expiry and its key queued from the cache (no event about it).
    await clock.advance(15_000);
    assert.deepEqual(shards.held(), [0, 1]);
    assert.deepEqual(reconciled, [`ns/${mine}`, `ns/${theirs}`]);
    leases[0]!.failure = 'hang';
    await clock.advance(12_000);
    assert.equal(lost, 1, 'a lost shard is lost leadership: the process exits');
    await manager.stop();
  });
});

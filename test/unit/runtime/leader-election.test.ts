import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderElector, LeaseConflictError, validateTimings } from '../../../src/runtime/leader-election.ts';
import { microTime } from '../../../src/lib/time.ts';
import { FakeLeaseStore } from './fake-lease-store.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';
import { recordingLogger } from './recording-logger.ts';

function elector(clock: FakeClock, store: FakeLeaseStore, identity: string) {
  const events: string[] = [];
  const status: number[] = [];
  const e = new LeaderElector({
    store,
    identity,
    clock,
    random: fixedRandom(0),
    metrics: { leading: (v) => status.push(v ? 1 : 0) },
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  return { e, events, status };
}

/** a leads, b has been waiting for the lease for 3 s. */
async function leaderAndStandby() {
  const clock = new FakeClock();
  const store = new FakeLeaseStore();
  const a = elector(clock, store, 'a');
  a.e.start();
  await clock.flush();
  const b = elector(clock, store, 'b');
  b.e.start();
  await clock.advance(3_000);
  return { clock, store, a, b };
}

describe('leader election timings', () => {
  it('accepts 15 s / 10 s / 2 s and refuses orders that cannot work', () => {
    validateTimings(15_000, 10_000, 2_000);
    assert.throws(() => validateTimings(10_000, 10_000, 2_000), /leaseDuration must be greater than renewDeadline/);
    assert.throws(() => validateTimings(15_000, 2_400, 2_000), /renewDeadline must be greater than 1.2 x retryPeriod/);
    for (const retry of [0, -2_000, Number.NaN]) {
      assert.throws(() => validateTimings(15_000, 10_000, retry), /leader election: retryPeriod must be positive/, `retryPeriod ${retry}`);
    }
    assert.throws(() => new LeaderElector({ store: new FakeLeaseStore(), leaseDurationMs: 5_000 }), /leaseDuration/);
  });

  it('writes MicroTime with exactly six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2026, 10, 27, 11, 0, 0, 123)), '2026-11-27T11:00:00.123000Z');
  });
});

describe('LeaderElector', () => {
  it('acquires a lease nobody holds, with MicroTime stamps, and reports it', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    assert.equal(a.e.isLeader(), true);
    assert.deepEqual(a.events, ['started']);
    assert.deepEqual(a.status, [0, 1]);
    const spec = store.lease!.spec;
    assert.equal(spec.holderIdentity, 'a');
    assert.equal(spec.leaseDurationSeconds, 15);
    assert.equal(spec.leaseTransitions, 0);
    assert.match(spec.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(spec.acquireTime!, /\.\d{6}Z$/);
    await a.e.stop();
  });

  it('renews every retry period, keeping its acquire time', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    const acquired = store.lease!.spec.acquireTime;
    await clock.advance(6_000);
    assert.equal(store.writes.length, 4);
    assert.equal(store.lease!.spec.renewTime, microTime(clock.now()));
    assert.equal(store.lease!.spec.acquireTime, acquired);
    await a.e.stop();
  });

  it('renews with one request, an update on the lease it last wrote, and reads the lease only when that update is refused', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    const reads = store.reads;
    await clock.advance(60_000);
    assert.equal(store.writes.length, 1 + 30, '30 renews in a minute');
    assert.equal(store.reads, reads, 'no GET per renew (client-go\'s optimistic renew): half the idle requests');
    store.setByOther({ ...store.lease!.spec, leaseTransitions: 7 });
    await clock.advance(2_000);
    assert.equal(store.reads, reads + 1, 'a refused update falls back to reading the lease');
    assert.equal(a.e.isLeader(), true, 'still ours: renewed on the fresh resourceVersion');
    assert.equal(store.lease!.spec.holderIdentity, 'a');
    await a.e.stop();
  });

  it('lets only one of two candidates win a free lease', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    const b = elector(clock, store, 'b');
    a.e.start();
    b.e.start();
    await clock.advance(10_000);
    assert.deepEqual([a.e.isLeader(), b.e.isLeader()], [true, false]);
    await a.e.stop();
    await b.e.stop();
  });

  it('does not take over a lease before it expires by its own observation, then does', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    store.setByOther({ holderIdentity: 'old', leaseDurationSeconds: 15, renewTime: microTime(clock.now() - 60_000), leaseTransitions: 3 });
    const b = elector(clock, store, 'b');
    b.e.start();
    await clock.advance(14_000);
    assert.equal(b.e.isLeader(), false, 'renewTime in the past does not count: clocks may be skewed');
    await clock.advance(4_000);
    assert.equal(b.e.isLeader(), true);
    assert.equal(store.lease!.spec.holderIdentity, 'b');
    assert.equal(store.lease!.spec.leaseTransitions, 4);
    await b.e.stop();
  });

  it('a standby tries right when the observed lease expires, not a whole jittered period later', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    store.setByOther({ holderIdentity: 'crashed', leaseDurationSeconds: 15, renewTime: microTime(clock.now()), leaseTransitions: 1 });
    // the largest jitter: every retry waits 2 s x 1.2 = 2.4 s
    const b = new LeaderElector({ store, identity: 'b', clock, random: () => 0.999999 });
    b.start();
    await clock.advance(14_999);
    assert.equal(b.isLeader(), false);
    await clock.advance(10);
    assert.equal(b.isLeader(), true, 'acquired at expiry (15 s), where 2.4 s steps would have waited until 16.8 s');
    await b.stop();
  });

  it('a process restarted under the identity that holds the lease (its container restarted in the same pod) leads again at once', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    // Written by the killed process a moment ago: SIGKILL released nothing.
    store.setByOther({ holderIdentity: 'op-0', leaseDurationSeconds: 15, renewTime: microTime(clock.now()), acquireTime: microTime(clock.now() - 600_000), leaseTransitions: 2 });
    const again = elector(clock, store, 'op-0');
    again.e.start();
    await clock.advance(1);
    assert.equal(again.e.isLeader(), true, 'the lease is its own: no one else may hold it, so there is nothing to wait out');
    assert.equal(store.lease!.spec.leaseTransitions, 2, 'a renewal, not a transition');
    await again.e.stop();
  });

  it('never takes over while the holder keeps renewing', async () => {
    const { clock, a, b } = await leaderAndStandby();
    await clock.advance(117_000);
    assert.deepEqual([a.e.isLeader(), b.e.isLeader()], [true, false]);
    await a.e.stop();
    await b.e.stop();
  });

  it('loses leadership when it cannot renew within the renew deadline, and does not release', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    const lastRenew = clock.now();
    store.failure = new Error('apiserver unreachable');
    await clock.advance(9_999);
    assert.deepEqual(a.events, ['started']);
    await clock.advance(1);
    assert.equal(clock.now() - lastRenew, 10_000);
    assert.deepEqual(a.events, ['started', 'stopped']);
    assert.equal(a.e.isLeader(), false);
    assert.deepEqual(a.status.at(-1), 0);
    store.failure = undefined;
    const writes = store.writes.length;
    await a.e.stop();
    assert.equal(store.writes.length, writes, 'no release after losing the lease');
  });

  it('loses leadership on time even when a renew request hangs', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    store.failure = 'hang';
    await clock.advance(10_000);
    assert.deepEqual(a.events, ['started', 'stopped']);
    await a.e.stop();
  });

  it('steps down at once when another holder has taken the lease', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    store.setByOther({ holderIdentity: 'intruder', leaseDurationSeconds: 15, renewTime: microTime(clock.now()) });
    await clock.advance(2_000);
    assert.deepEqual(a.events, ['started', 'stopped']);
    await a.e.stop();
  });

  it('releases the lease on a graceful stop so a successor takes over on its next try', async () => {
    const { clock, store, a, b } = await leaderAndStandby();
    await a.e.stop();
    assert.deepEqual(a.events, ['started'], 'a graceful stop is not a loss');
    assert.equal(store.lease!.spec.holderIdentity, '');
    assert.equal(store.lease!.spec.leaseDurationSeconds, 1);
    assert.equal(a.status.at(-1), 0);
    await clock.advance(2_000);
    assert.equal(b.e.isLeader(), true);
    await b.e.stop();
  });

  it('a standby stopped while it waits for the lease never reports leading', async () => {
    const { store, a, b } = await leaderAndStandby();
    await b.e.stop();
    assert.equal(b.e.isLeader(), false);
    assert.deepEqual(b.events, []);
    assert.deepEqual(b.status, [0]);
    assert.equal(store.lease!.spec.holderIdentity, 'a');
    await a.e.stop();
  });

  it('on a graceful stop leaves alone a lease another holder has taken since its last renew', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    a.e.start();
    await clock.flush();
    assert.equal(a.e.isLeader(), true);
    const taken = { ...store.lease!.spec, holderIdentity: 'b', leaseTransitions: 1 };
    store.setByOther(taken);
    await a.e.stop();
    assert.deepEqual(store.lease!.spec, taken, 'the release must not blank b\'s lease');
  });

  it('warns of a lease write that fails for another reason than a conflict (say a 403), and keeps trying', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const logger = recordingLogger();
    const forbidden = new Error('leases.coordination.k8s.io is forbidden');
    store.create = async () => { throw forbidden; };
    const e = new LeaderElector({ store, identity: 'a', clock, random: fixedRandom(0), logger });
    e.start();
    await clock.flush();
    assert.equal(e.isLeader(), false);
    const warned = logger.lines.filter((l) => l.level === 'warn' && l.msg === 'lease acquire/renew failed');
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.fields['err'], forbidden);
    await e.stop();
  });

  it('retries after a 409 conflict instead of failing', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(clock, store, 'a');
    const realUpdate = store.update.bind(store);
    let conflicts = 1;
    store.update = async (rec) => {
      if (conflicts-- > 0) throw new LeaseConflictError();
      return realUpdate(rec);
    };
    a.e.start();
    await clock.flush();
    await clock.advance(4_000);
    assert.equal(a.e.isLeader(), true);
    assert.deepEqual(a.events, ['started']);
    await a.e.stop();
  });
});

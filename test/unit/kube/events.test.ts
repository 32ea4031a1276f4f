import type { Reason } from '../../../src/api/reasons.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiEventSink, EventRecorder, type CoreEvent, type EventSink, type EventTarget, type EventUpdate } from '../../../src/kube/events.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { fakeClient } from './fake-http.ts';

const MIN = 60_000;

/** A sink that keeps Events as the apiserver would, by namespace/name. */
function fakeSink(): EventSink & { events: Map<string, CoreEvent>; writes: string[]; expire(name: string): void; failNext?: Error } {
  const events = new Map<string, CoreEvent>();
  const writes: string[] = [];
  const sink = {
    events,
    writes,
    failNext: undefined as Error | undefined,
    expire: (name: string) => void events.delete(name),
    async create(e: CoreEvent) {
      if (sink.failNext) {
        const err = sink.failNext;
        sink.failNext = undefined;
        throw err;
      }
      writes.push(`create ${e.metadata.name}`);
      events.set(e.metadata.name, structuredClone(e));
    },
    async update(_ns: string, name: string, u: EventUpdate) {
      writes.push(`update ${name}`);
      const e = events.get(name);
      if (!e) throw new KubeApiError(404, `events "${name}" not found`, { reason: 'NotFound' });
      Object.assign(e, structuredClone(u));
    },
  };
  return sink;
}

function setup(opts: { burst?: number; refillMs?: number; maxEntries?: number; steps?: ReadonlySet<Reason> } = {}) {
  let now = Date.UTC(2026, 10, 27, 11, 0, 0);
  const sink = fakeSink();
  const recorder = new EventRecorder({ sink, clock: { now: () => now }, identity: 'agent-operator-7d9f-x2', ...opts });
  return { sink, recorder, advance: (ms: number) => void (now += ms), events: () => [...sink.events.values()] };
}

const agent = (name = 'forwarder', uid = 'uid-1'): EventTarget => ({
  apiVersion: 'agent-operator.dev/v1alpha1',
  kind: 'Agent',
  metadata: { name, namespace: 'team-a', uid, resourceVersion: '12' },
});

describe('EventRecorder', () => {
  it('creates a core/v1 Event on the object with legacy and new-style fields', async () => {
    const { recorder, events } = setup();
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'container agent was OOMKilled (limit 128Mi); raising memory to 256Mi');
    const [e] = events();
    assert.ok(e);
    assert.match(e.metadata.name, /^forwarder\.[0-9a-f]+$/);
    assert.deepEqual({ ...e, metadata: { ...e.metadata, name: 'x' } }, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'x', namespace: 'team-a' },
      involvedObject: { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', name: 'forwarder', namespace: 'team-a', uid: 'uid-1', resourceVersion: '12' },
      type: 'Warning',
      reason: 'OOMKilled',
      message: 'container agent was OOMKilled (limit 128Mi); raising memory to 256Mi',
      action: 'Reconcile',
      count: 1,
      firstTimestamp: '2026-11-27T11:00:00Z',
      lastTimestamp: '2026-11-27T11:00:00Z',
      eventTime: '2026-11-27T11:00:00.000000Z',
      reportingComponent: 'agent-operator.dev/agent-operator',
      reportingInstance: 'agent-operator-7d9f-x2',
    });
  });

  it('counts an identical event within 10 minutes on the existing Event instead of creating another', async () => {
    const { recorder, sink, advance, events } = setup();
    await recorder.record(agent(), 'Warning', 'CrashLoopBackOff', 'back-off restarting agent');
    advance(4 * MIN);
    await recorder.record(agent(), 'Warning', 'CrashLoopBackOff', 'back-off restarting agent');
    advance(9 * MIN);
    await recorder.record(agent(), 'Warning', 'CrashLoopBackOff', 'back-off restarting agent');
    assert.equal(events().length, 1);
    const [e] = events();
    assert.equal(e?.count, 3);
    assert.deepEqual(e?.series, { count: 3, lastObservedTime: '2026-11-27T11:13:00.000000Z' });
    assert.equal(e?.lastTimestamp, '2026-11-27T11:13:00Z');
    assert.equal(e?.firstTimestamp, '2026-11-27T11:00:00Z');
    assert.deepEqual(sink.writes.map((w) => w.split(' ')[0]), ['create', 'update', 'update']);
  });

  it('starts a new Event when the same event comes back after more than 10 minutes of quiet', async () => {
    const { recorder, advance, events } = setup();
    await recorder.record(agent(), 'Normal', 'RestartedPod', 'deleted pod forwarder-abc');
    advance(11 * MIN);
    await recorder.record(agent(), 'Normal', 'RestartedPod', 'deleted pod forwarder-abc');
    assert.equal(events().length, 2);
    assert.ok(events().every((e) => e.count === 1 && e.series === undefined));
  });

  it('keeps events apart by type, reason, message and object', async () => {
    const { recorder, events } = setup();
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'a');
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'b');
    await recorder.record(agent(), 'Normal', 'OOMKilled', 'a');
    await recorder.record(agent(), 'Warning', 'CrashLoopBackOff', 'a');
    await recorder.record(agent('other', 'uid-2'), 'Warning', 'OOMKilled', 'a');
    assert.equal(events().length, 5);
    assert.equal(new Set(events().map((e) => e.metadata.name)).size, 5);
  });

  it('limits writes per object with a token bucket, and carries suppressed repeats in the next write', async () => {
    const { recorder, sink, advance, events } = setup({ burst: 3, refillMs: 5 * MIN });
    for (let i = 0; i < 10; i++) await recorder.record(agent(), 'Warning', 'ProbeFailure', 'readiness probe failing');
    assert.equal(sink.writes.length, 3);
    assert.equal(events()[0]?.count, 3);
    // Another object has its own bucket.
    await recorder.record(agent('other', 'uid-2'), 'Warning', 'ProbeFailure', 'readiness probe failing');
    assert.equal(sink.writes.length, 4);
    advance(5 * MIN);
    await recorder.record(agent(), 'Warning', 'ProbeFailure', 'readiness probe failing');
    assert.equal(sink.writes.length, 5);
    assert.equal(events().find((e) => e.involvedObject.uid === 'uid-1')?.count, 11);
  });

  it('gives remediation steps a budget of their own: transition chatter cannot crowd out RolledBack', async () => {
    const { recorder, sink } = setup({ burst: 2, steps: new Set<Reason>(['RolledBack']) });
    for (const reason of ['Ready', 'Available', 'RolloutInProgress'] as const) await recorder.record(agent(), 'Normal', reason, `${reason} changed`);
    assert.equal(sink.writes.length, 2, 'the budget holds for ordinary events');
    await recorder.record(agent(), 'Warning', 'RolledBack', 'running revision aaaa instead of bbbb');
    assert.equal(sink.writes.length, 3);
  });

  it('rate-limits remediation steps too: a storm of RestartedPod events is cut to the burst, then one per refill', async () => {
    const steps = new Set<Reason>(['RestartedPod', 'RolledBack']);
    const { recorder, sink, advance } = setup({ burst: 3, refillMs: 5 * MIN, steps });
    for (let i = 0; i < 10; i++) {
      await recorder.record(agent(), 'Normal', 'RestartedPod', `deleted pod p${i}`);
      advance(1000);
    }
    assert.equal(sink.writes.length, 3, 'ten steps within ten seconds write the burst only');
    await recorder.record(agent(), 'Normal', 'Reconciled', 'applied');
    assert.equal(sink.writes.length, 4, 'the steps did not spend the ordinary budget');
    advance(5 * MIN);
    await recorder.record(agent(), 'Normal', 'RestartedPod', 'deleted pod p10');
    assert.equal(sink.writes.length, 5, 'one more after a refill');
  });

  it('creates a suppressed new event with its count once the bucket refills', async () => {
    const { recorder, sink, advance, events } = setup({ burst: 1, refillMs: 5 * MIN });
    await recorder.record(agent(), 'Normal', 'Reconciled', 'applied');
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    assert.equal(sink.writes.length, 1);
    advance(5 * MIN);
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    const oom = events().find((e) => e.reason === 'OOMKilled');
    assert.equal(oom?.count, 3);
    assert.equal(oom?.firstTimestamp, '2026-11-27T11:00:00Z');
  });

  it('re-creates an Event that expired, keeping the count', async () => {
    const { recorder, sink, advance, events } = setup();
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    const first = events()[0]?.metadata.name ?? '';
    sink.expire(first);
    advance(MIN);
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    const [e] = events();
    assert.notEqual(e?.metadata.name, first);
    assert.equal(e?.count, 2);
  });

  it('keeps counting on the same Event after an update fails for another reason than a 404 (a 500): no second Event', async () => {
    const { recorder, sink, advance, events } = setup();
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    const first = events()[0]?.metadata.name;
    const update = sink.update;
    sink.update = async () => { sink.update = update; throw new KubeApiError(500, 'etcdserver: request timed out'); };
    advance(MIN);
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    advance(MIN);
    await recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    assert.deepEqual(events().map((e) => e.metadata.name), [first]);
    assert.deepEqual(sink.writes.filter((w) => w.startsWith('create')), [`create ${first}`]);
  });

  it('never fails the caller when the API refuses, and logs it', async () => {
    const warned: unknown[] = [];
    const sink = fakeSink();
    const logger = { debug() {}, info() {}, error() {}, warn: (o: unknown) => void warned.push(o), child() { return logger; } };
    const recorder = new EventRecorder({ sink, clock: { now: () => 0 }, identity: 'x', logger });
    sink.failNext = new KubeApiError(403, 'events is forbidden');
    await recorder.record(agent(), 'Normal', 'Reconciled', 'applied');
    assert.equal(warned.length, 1);
    await recorder.record(agent(), 'Normal', 'Reconciled', 'applied');
    assert.equal(sink.events.size, 1);
  });

  it('serialises writes of one series, so a quick repeat updates the Event the first write created', async () => {
    const { recorder, sink } = setup();
    const a = recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    const b = recorder.record(agent(), 'Warning', 'OOMKilled', 'oom');
    await Promise.all([a, b]);
    assert.deepEqual(sink.writes.map((w) => w.split(' ')[0]), ['create', 'update']);
    assert.equal([...sink.events.values()][0]?.count, 2);
  });

  it('keeps its memory bounded however many objects and messages it sees', async () => {
    const { recorder } = setup({ maxEntries: 50 });
    for (let i = 0; i < 500; i++) await recorder.record(agent(`a${i}`, `uid-${i}`), 'Normal', 'Reconciled', `applied ${i}`);
    assert.deepEqual(recorder.size, { series: 50, buckets: 50 });
  });

  it('cuts a message to the 1 KiB the API allows, on a character boundary', async () => {
    const { recorder, events } = setup();
    await recorder.record(agent(), 'Warning', 'InvalidSpec', 'é'.repeat(2000));
    const message = events()[0]?.message ?? '';
    assert.ok(Buffer.byteLength(message) <= 1024);
    assert.ok(message.endsWith('…'));
    assert.ok(!message.includes('\uFFFD'));
  });

  it('keeps event names valid for the longest Agent names', async () => {
    const { recorder, events } = setup();
    await recorder.record(agent(`${'a'.repeat(240)}.b-c`, 'u'), 'Normal', 'Reconciled', 'x');
    const name = events()[0]?.metadata.name ?? '';
    assert.ok(name.length <= 253);
    assert.match(name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    assert.ok(!name.includes('..') && !name.includes('-.'));
  });

  it('copies only the reference of the object, so nothing of its spec reaches an event', async () => {
    const { recorder, sink } = setup();
    const full = { ...agent(), spec: { env: [{ name: 'X', value: 'sup3r-s3cret' }] }, data: { token: 'c2VjcmV0' } };
    await recorder.record(full, 'Normal', 'Reconciled', 'applied');
    const text = JSON.stringify([...sink.events.values()]);
    assert.ok(!text.includes('sup3r-s3cret') && !text.includes('c2VjcmV0'), text);
  });
});

describe('apiEventSink', () => {
  it('creates with POST and counts repeats with a merge patch', async () => {
    const { client, sent } = fakeClient(() => ({ status: 201, body: {} }));
    const sink = apiEventSink(client);
    await sink.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'a.1', namespace: 'ns' } } as CoreEvent);
    await sink.update('ns', 'a.1', { count: 2, lastTimestamp: 't', series: { count: 2, lastObservedTime: 'm' } });
    assert.deepEqual(sent.map((r) => `${r.method} ${r.url.pathname} ${r.headers['Content-Type']}`), [
      'POST /api/v1/namespaces/ns/events application/json',
      'PATCH /api/v1/namespaces/ns/events/a.1 application/merge-patch+json',
    ]);
  });
});

describe('EventRecorder: writes pending at once are bounded', () => {
  it('drops an event over maxPending while the apiserver hangs, and takes events again once writes finish', async () => {
    const release: (() => void)[] = [];
    const created: string[] = [];
    const sink: EventSink = {
      create: (e) => new Promise<void>((r) => release.push(() => { created.push(e.reason); r(); })),
      update: async () => {},
    };
    const recorder = new EventRecorder({ sink, clock: { now: () => Date.UTC(2026, 10, 27) }, identity: 'x', maxPending: 2 });
    const target = (n: string): EventTarget => ({ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: n, namespace: 'ns', uid: `uid-${n}` } });
    void recorder.record(target('a'), 'Normal', 'Ready', 'one');
    void recorder.record(target('b'), 'Normal', 'Ready', 'two');
    void recorder.record(target('c'), 'Normal', 'Ready', 'three');
    assert.equal(recorder.pending, 2, 'the third was dropped, not queued');
    await new Promise((r) => setImmediate(r));
    for (const r of release.splice(0)) r();
    await recorder.drain(1000);
    assert.equal(recorder.pending, 0);
    void recorder.record(target('d'), 'Normal', 'Ready', 'four');
    await new Promise((r) => setImmediate(r));
    for (const r of release.splice(0)) r();
    await recorder.drain(1000);
    assert.equal(created.length, 3);
  });
});

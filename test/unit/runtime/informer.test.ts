import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { Informer, type EventMeta } from '../../../src/runtime/informer.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';
import { FakeListWatcher, obj, type TestObject } from './fake-list-watch.ts';
import { recordingLogger } from './recording-logger.ts';
import { objectKey } from '../../../src/runtime/kube-object.ts';

type Seen = Array<[string, string, EventMeta]>;

function setup(opts: { metadataOnly?: boolean; random?: number; transform?: (o: TestObject) => TestObject; logger?: ReturnType<typeof recordingLogger> } = {}) {
  const clock = new FakeClock();
  const lw = new FakeListWatcher<TestObject>();
  const informer = new Informer<TestObject>({
    name: 'test',
    listWatcher: lw,
    clock,
    random: fixedRandom(opts.random ?? 0),
    metadataOnly: opts.metadataOnly ?? false,
    ...(opts.transform ? { transform: opts.transform } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const seen: Seen = [];
  informer.addHandler({
    onAdd: (o, m) => seen.push(['add', o.metadata!.name!, m]),
    onUpdate: (_old, o, m) => seen.push(['update', o.metadata!.name!, m]),
    onDelete: (o, m) => seen.push(['delete', o.metadata!.name!, m]),
  });
  return { clock, lw, informer, seen };
}

const gone = () => new KubeApiError(410, 'too old resource version', { reason: 'Expired' });

describe('Informer', () => {
  it('lists, then watches from the list resourceVersion with bookmarks and a 300-600 s timeout', async () => {
    const { clock, lw, informer, seen } = setup({ random: 0.5 });
    lw.put(obj('a', '5'));
    lw.resourceVersion = 42;
    informer.start();
    await clock.flush();
    assert.equal(informer.ready(), true);
    assert.deepEqual(seen, [['add', 'a', { initial: true }]]);
    assert.equal(lw.lists[0]?.limit, 500);
    const w = lw.watches[0]!;
    assert.equal(w.resourceVersion, '42');
    assert.equal(w.allowWatchBookmarks, true);
    assert.equal(w.timeoutSeconds, 450);
    // Started again: still one list and one watch, not a second loop.
    informer.start();
    await clock.flush();
    assert.equal(lw.lists.length, 1);
    assert.equal(lw.watches.length, 1);
    assert.deepEqual(seen, [['add', 'a', { initial: true }]]);
    await informer.stop();
  });

  it('applies watch events to the cache and tells handlers, with managedFields stripped and objects frozen', async () => {
    const { clock, lw, informer, seen } = setup();
    informer.start();
    await clock.flush();
    lw.current!.push({ type: 'ADDED', object: obj('a', '101', { metadata: { managedFields: [{ manager: 'kubectl' }] } as never }) });
    lw.current!.push({ type: 'MODIFIED', object: obj('a', '102', { spec: { x: 1 } }) });
    await clock.flush();
    const cached = informer.store.get('ns', 'a')!;
    assert.equal(cached.metadata!.managedFields, undefined);
    assert.deepEqual(cached.spec, { x: 1 });
    assert.throws(() => { (cached.spec as Record<string, unknown>).x = 2; }, TypeError);
    lw.current!.push({ type: 'DELETED', object: obj('a', '103') });
    await clock.flush();
    assert.equal(informer.store.get('ns', 'a'), undefined);
    assert.deepEqual(seen.map(([e, n, m]) => [e, n, m.initial]), [['add', 'a', false], ['update', 'a', false], ['delete', 'a', false]]);
    await informer.stop();
  });

  it('keeps what the transform returns, from lists, watch events and deletes alike, and hands handlers only that', async () => {
    const keepX = (o: TestObject): TestObject => ({ ...o, spec: { x: (o.spec as { x?: number } | undefined)?.x ?? 0 } });
    const { clock, lw, informer } = setup({ transform: keepX });
    const handled: unknown[] = [];
    informer.addHandler({ onAdd: (o) => handled.push(o.spec), onUpdate: (_o, n) => handled.push(n.spec), onDelete: (o) => handled.push(o.spec) });
    lw.put(obj('a', '5', { spec: { x: 1, big: 'a'.repeat(1000) } }));
    informer.start();
    await clock.flush();
    lw.current!.push({ type: 'MODIFIED', object: obj('a', '6', { spec: { x: 2, big: 'b'.repeat(1000) } }) });
    await clock.flush();
    assert.deepEqual(informer.store.get('ns', 'a')!.spec, { x: 2 });
    assert.throws(() => { (informer.store.get('ns', 'a')!.spec as Record<string, unknown>).x = 3; }, TypeError, 'still frozen');
    lw.current!.push({ type: 'DELETED', object: obj('a', '7', { spec: { x: 2, big: 'c'.repeat(1000) } }) });
    await clock.flush();
    assert.deepEqual(handled, [{ x: 1 }, { x: 2 }, { x: 2 }]);
    await informer.stop();
  });

  it('strips managedFields from listed objects too', async () => {
    const { clock, lw, informer } = setup();
    lw.put(obj('a', '5', { metadata: { managedFields: [{}] } as never }));
    informer.start();
    await clock.flush();
    assert.equal(informer.store.get('ns', 'a')!.metadata!.managedFields, undefined);
    await informer.stop();
  });

  it('keeps only apiVersion, kind and metadata in metadata-only mode', async () => {
    const { clock, lw, informer } = setup({ metadataOnly: true });
    lw.put({ ...obj('s', '5'), data: { token: 'c2VjcmV0' } } as TestObject);
    informer.start();
    await clock.flush();
    assert.deepEqual(Object.keys(informer.store.get('ns', 's')!).sort(), ['apiVersion', 'kind', 'metadata']);
    await informer.stop();
  });

  it('re-watches from the latest bookmark at once when the server closes the watch, without relisting', async () => {
    const { clock, lw, informer } = setup();
    informer.start();
    await clock.flush();
    await clock.advance(60_000);
    lw.current!.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '777' } } });
    await clock.flush();
    lw.current!.end();
    await clock.flush();
    assert.equal(lw.lists.length, 1);
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.watches[1]!.resourceVersion, '777');
    await informer.stop();
  });

  it('relists on a 410 ERROR event and emits deletes for vanished objects and updates for changed ones', async () => {
    const { clock, lw, informer, seen } = setup();
    lw.put(obj('keep', '1'));
    lw.put(obj('change', '1'));
    lw.put(obj('vanish', '1'));
    informer.start();
    await clock.flush();
    seen.length = 0;
    lw.remove('ns', 'vanish');
    lw.put(obj('change', '2'));
    lw.put(obj('new', '3'));
    lw.current!.push({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } });
    await clock.advance(800);
    assert.equal(lw.lists.length, 2);
    assert.deepEqual(seen, [
      ['delete', 'vanish', { initial: false, finalStateUnknown: true }],
      ['update', 'change', { initial: false }],
      ['add', 'new', { initial: false }],
    ]);
    assert.deepEqual(informer.store.list().map(objectKey).sort(), ['ns/change', 'ns/keep', 'ns/new']);
    await informer.stop();
  });

  it('relists when the watch itself is refused with 410 Gone', async () => {
    const { clock, lw, informer } = setup();
    lw.watchScript.push(gone());
    informer.start();
    await clock.advance(800);
    assert.equal(lw.lists.length, 2);
    assert.ok(lw.current);
    await informer.stop();
  });

  it('treats a silent watch as dead after the inactivity timeout and re-watches without relisting', async () => {
    const { clock, lw, informer } = setup();
    informer.start();
    await clock.flush();
    lw.current!.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '150' } } });
    await clock.advance(119_999);
    assert.equal(lw.watches.length, 1, 'a bookmark within the timeout keeps it alive');
    await clock.advance(1);
    assert.equal(lw.streams[0]!.closed, true);
    await clock.advance(800);
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.watches[1]!.resourceVersion, '150');
    assert.equal(lw.lists.length, 1);
    await informer.stop();
  });

  it('replaces a silent watch without an info line, as quietly as one the apiserver ended: a quiet type on a young apiserver gets no bookmarks and is replaced every 2 min', async () => {
    const log = recordingLogger();
    const { clock, lw, informer } = setup({ logger: log });
    informer.start();
    await clock.flush();
    const infoBefore = log.lines.filter((l) => l.level !== 'debug').length;
    for (let round = 0; round < 3; round++) await clock.advance(120_000 + 800);
    assert.equal(lw.watches.length, 4, 'the silent watch was replaced three times');
    assert.deepEqual(log.lines.slice(infoBefore).filter((l) => l.level !== 'debug').map((l) => l.msg), []);
    assert.equal(log.lines.filter((l) => l.level === 'debug' && l.msg === 'list/watch interrupted').length, 3, 'still there at debug');
    lw.current!.fail(new Error('ECONNRESET'));
    await clock.flush();
    assert.equal(log.lines.at(-1)?.level, 'warn', 'a watch that breaks is still a warning');
    await informer.stop();
  });

  it('backs off 800 ms doubling to 30 s while the apiserver fails, and starts over after 2 minutes of health', async () => {
    const { clock, lw, informer } = setup();
    for (let i = 0; i < 8; i++) lw.listScript.push(new KubeApiError(503, 'unavailable'));
    informer.start();
    await clock.flush();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = clock.nextDelay()!;
      delays.push(d);
      await clock.advance(d);
    }
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    assert.equal(informer.ready(), true);
    for (let i = 0; i < 3; i++) {
      await clock.advance(45_000);
      lw.current!.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(200 + i) } } });
    }
    lw.current!.fail(new Error('ECONNRESET'));
    await clock.flush();
    assert.equal(clock.nextDelay(), 800);
    await informer.stop();
  });

  it('waits as long as a 429 Retry-After says before trying again', async () => {
    const { clock, lw, informer } = setup();
    lw.listScript.push(new KubeApiError(429, 'slow down', { retryAfterSeconds: 7 }));
    informer.start();
    await clock.advance(6_999);
    assert.equal(lw.lists.length, 1);
    await clock.advance(1);
    assert.equal(lw.lists.length, 2);
    await informer.stop();
  });

  it('re-watches without relisting after a 429 or a dropped connection', async () => {
    const { clock, lw, informer } = setup();
    lw.watchScript.push(new KubeApiError(429, 'slow down'), new Error('ECONNREFUSED'));
    informer.start();
    await clock.advance(800);
    await clock.advance(1600);
    assert.equal(lw.watches.length, 3);
    assert.equal(lw.lists.length, 1);
    await informer.stop();
  });

  it('never stops: keeps retrying through forbidden, server errors, network errors and failing handlers', async () => {
    const { clock, lw, informer } = setup();
    lw.listScript.push(new KubeApiError(403, 'forbidden'), new KubeApiError(500, 'boom'), new Error('ECONNREFUSED'));
    informer.addHandler({ onAdd: () => { throw new Error('handler bug'); } });
    lw.put(obj('a', '1'));
    informer.start();
    await clock.advance(60_000);
    assert.equal(informer.ready(), true);
    lw.current!.push({ type: 'ERROR', object: { code: 500, message: 'internal' } });
    await clock.advance(60_000);
    lw.watchScript.push(new KubeApiError(403, 'forbidden'));
    lw.current!.end();
    await clock.advance(60_000);
    assert.ok(lw.current, 'still watching');
    assert.equal(informer.healthy(), true);
    await informer.stop();
    assert.equal(informer.healthy(), false);
  });

  it('counts a watch that closes at once without events as a failure and relists after a backoff', async () => {
    const { clock, lw, informer } = setup();
    informer.start();
    await clock.flush();
    lw.current!.end();
    await clock.flush();
    assert.equal(lw.watches.length, 1);
    await clock.advance(800);
    assert.equal(lw.lists.length, 2);
    await informer.stop();
  });

  it('pages the list with continue tokens and falls back to one full list when a token expires', async () => {
    const { clock, lw, informer } = setup();
    lw.listScript.push(
      { items: [obj('a', '1')], resourceVersion: '10', continue: 'c1' },
      gone(),
      { items: [obj('a', '1'), obj('b', '2')], resourceVersion: '11' },
    );
    informer.start();
    await clock.flush();
    assert.deepEqual(lw.lists.map((l) => [l.limit, l.continue]), [[500, undefined], [500, 'c1'], [undefined, undefined]]);
    assert.deepEqual(informer.store.list().map(objectKey).sort(), ['ns/a', 'ns/b']);
    assert.equal(lw.watches[0]!.resourceVersion, '11');
    await informer.stop();
  });

  // The apiserver's objects of a page (managedFields and all) become garbage
  // as soon as the page is taken in, not only after the last page: a relist
  // of 10,000 Deployments must not hold all of them whole at once (the peak).
  it('takes each page in through the transform before it asks for the next', async () => {
    const transformedWhenAsked: number[] = [];
    let transformed = 0;
    const { clock, lw, informer } = setup({ transform: (o) => { transformed++; return o; } });
    const list = lw.list.bind(lw);
    lw.list = (opts) => { transformedWhenAsked.push(transformed); return list(opts); };
    lw.listScript.push(
      { items: [obj('a', '1'), obj('b', '2')], resourceVersion: '10', continue: 'c1' },
      { items: [obj('c', '3')], resourceVersion: '10' },
    );
    informer.start();
    await clock.flush();
    assert.deepEqual(transformedWhenAsked, [0, 2]);
    assert.deepEqual(informer.store.list().map(objectKey).sort(), ['ns/a', 'ns/b', 'ns/c']);
    await informer.stop();
  });

  it('replays cached objects as initial adds to a handler added after sync', async () => {
    const { clock, lw, informer } = setup();
    lw.put(obj('a', '1'));
    informer.start();
    await clock.flush();
    const late: Array<[string, boolean]> = [];
    const unsubscribe = informer.addHandler({ onAdd: (o, m) => late.push([o.metadata!.name!, m.initial]) });
    assert.deepEqual(late, [['a', true]]);
    unsubscribe();
    lw.current!.push({ type: 'ADDED', object: obj('b', '200') });
    await clock.flush();
    assert.equal(late.length, 1);
    await informer.stop();
  });

  it('keeps indexes current as objects change', async () => {
    const { clock, lw, informer } = setup();
    informer.addIndex('by-secret', (o) => [String(o.spec?.secret ?? '')]);
    lw.put(obj('a', '1', { spec: { secret: 's1' } }));
    informer.start();
    await clock.flush();
    assert.deepEqual(informer.store.byIndex('by-secret', 's1').map((o) => o.metadata!.name), ['a']);
    lw.current!.push({ type: 'MODIFIED', object: obj('a', '2', { spec: { secret: 's2' } }) });
    await clock.flush();
    assert.deepEqual(informer.store.byIndex('by-secret', 's1'), []);
    assert.equal(informer.store.byIndex('by-secret', 's2').length, 1);
    await informer.stop();
  });

  it('abandons a hung list after the page timeout, and is unhealthy only while it makes no progress', async () => {
    const clock = new FakeClock();
    const lw = new FakeListWatcher<TestObject>();
    const informer = new Informer<TestObject>({ name: 't', listWatcher: lw, clock, random: fixedRandom(0), staleAfterMs: 60_000 });
    lw.listScript.push('hang');
    informer.start();
    await clock.advance(60_000);
    assert.equal(informer.healthy(), true);
    await clock.advance(1);
    assert.equal(informer.healthy(), false, 'no progress for longer than staleAfterMs');
    await clock.advance(60_000 + 800);
    assert.equal(lw.lists.length, 2, 'the hung list was given up at 120 s and retried');
    assert.equal(informer.healthy(), true);
    assert.equal(informer.ready(), true, 'the retried list was taken in');
    await informer.stop();
    assert.equal(informer.healthy(), false);
  });

  it('resolves waitForSync once the first list is in, and false when stopped before', async () => {
    // A call made after the fact must answer at once, not wait for a sync or stop that already happened.
    const now = async (p: Promise<boolean>, clock: FakeClock) => Promise.race([p, clock.flush().then(() => 'still waiting')]);
    const a = setup();
    const synced = a.informer.waitForSync();
    a.informer.start();
    assert.equal(await synced, true);
    assert.equal(await now(a.informer.waitForSync(), a.clock), true, 'called after sync');
    await a.informer.stop();

    const b = setup();
    b.lw.listScript.push('hang');
    b.informer.start();
    const never = b.informer.waitForSync();
    await b.informer.stop();
    assert.equal(await never, false);
    assert.equal(await now(b.informer.waitForSync(), b.clock), false, 'called after stop');

    const c = setup();
    c.lw.listScript.push('hang');
    c.informer.start();
    assert.equal(await now(c.informer.waitForSync(AbortSignal.abort()), c.clock), false, 'called with an aborted signal');
    await c.informer.stop();
  });
});

describe('Informer stop', () => {
  it('leaves no unhandled rejection when stopped between sync and the first watch', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const clock = new FakeClock();
      const lw = new FakeListWatcher<TestObject>();
      // A transport whose watch rejects once its (already aborted) signal is seen, like undici's fetch.
      lw.watch = (opts) => new Promise((_resolve, reject) => setImmediate(() => reject(opts.signal.reason ?? new Error('aborted'))));
      const informer = new Informer<TestObject>({ name: 't', listWatcher: lw, clock, random: fixedRandom(0) });
      const synced = informer.waitForSync();
      informer.start();
      await synced;
      await informer.stop();
      await clock.flush();
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import type { Logger } from '../../../src/runtime/logger.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';
import { FakeListWatcher, obj, type TestObject } from './fake-list-watch.ts';
import { objectKey } from '../../../src/runtime/kube-object.ts';

// Issue 9, defect 3: the informer caches whatever the apiserver returns. An
// Agent's inline config is free-form, and the apiserver accepts one nested
// ~10,000 levels deep; one such object stalled the cache of every namespace.

/** { a: { a: ... { leaf: 1 } } }, `depth` levels, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function frozenAllTheWay(value: unknown): boolean {
  let v = value as Record<string, unknown> | undefined;
  while (v !== undefined && typeof v === 'object') {
    if (!Object.isFrozen(v)) return false;
    v = (v.a ?? undefined) as Record<string, unknown> | undefined;
  }
  return true;
}

function recordingLogger(lines: Array<{ level: string; obj: unknown; msg?: string }>): Logger {
  const log = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

function setup(staleAfterMs?: number) {
  const clock = new FakeClock();
  const lw = new FakeListWatcher<TestObject>();
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const informer = new Informer<TestObject>({
    name: 'agents', listWatcher: lw, clock, random: fixedRandom(0), logger: recordingLogger(lines),
    ...(staleAfterMs !== undefined ? { staleAfterMs } : {}),
  });
  return { clock, lw, informer, lines };
}

describe('Informer: any object the apiserver can return', () => {
  it('caches objects nested 100,000 levels deep, from the list and from the watch, frozen all the way down', async () => {
    const { clock, lw, informer } = setup();
    lw.put(obj('deep', '5', { spec: nested(100_000) }));
    lw.put(obj('plain', '6'));
    informer.start();
    await clock.flush();
    assert.equal(informer.ready(), true);
    assert.deepEqual(informer.store.list().map(objectKey).sort(), ['ns/deep', 'ns/plain']);
    assert.ok(frozenAllTheWay(informer.store.get('ns', 'deep')!.spec));

    lw.current!.push({ type: 'ADDED', object: obj('deeper', '7', { spec: nested(200_000) }) });
    lw.current!.push({ type: 'ADDED', object: obj('later', '8') });
    await clock.flush();
    assert.ok(informer.store.get('ns', 'later'), 'an object after the deep one arrives');
    assert.ok(frozenAllTheWay(informer.store.get('ns', 'deeper')!.spec));
    assert.equal(lw.watches.length, 1, 'the watch never broke');
    await informer.stop();
  });

  it('skips an object it cannot cache, says which, and keeps every other object and the watch', async () => {
    const { clock, lw, informer, lines } = setup();
    const unreadable = (name: string, rv: string): TestObject => {
      const o = obj(name, rv);
      Object.defineProperty(o, 'spec', { enumerable: true, get: () => { throw new Error('unreadable'); } });
      return o;
    };
    lw.put(unreadable('bad', '5'));
    lw.put(obj('good', '6'));
    informer.start();
    await clock.flush();
    assert.equal(informer.ready(), true, 'one bad object does not keep the cache from syncing');
    assert.deepEqual(informer.store.list().map(objectKey), ['ns/good']);

    lw.current!.push({ type: 'MODIFIED', object: unreadable('good', '7') });
    lw.current!.push({ type: 'ADDED', object: obj('after', '8') });
    await clock.flush();
    assert.equal(informer.store.get('ns', 'good')?.metadata?.resourceVersion, '6', 'the last readable version stays');
    assert.ok(informer.store.get('ns', 'after'));
    assert.equal(lw.watches.length, 1, 'the watch went on');
    const skipped = lines.filter((l) => l.level === 'error' && /could not cache/.test(l.msg ?? ''));
    assert.deepEqual(skipped.map((l) => (l.obj as { object: string }).object), ['ns/bad', 'ns/good']);
    await informer.stop();
  });

  it('is not ready while it has taken nothing in from the apiserver for staleAfterMs, and ready again once it does', async () => {
    const { clock, lw, informer } = setup(60_000);
    lw.put(obj('a', '5'));
    informer.start();
    await clock.flush();
    assert.equal(informer.ready(), true);
    for (let i = 0; i < 20; i++) lw.listScript.push(new KubeApiError(500, 'etcdserver: request timed out'));
    lw.current!.fail(new KubeApiError(500, 'etcdserver: request timed out'));
    await clock.advance(59_000);
    assert.equal(informer.ready(), true, 'a minute of retries is not yet stuck');
    await clock.advance(2_000);
    assert.equal(informer.ready(), false, 'stuck: the cache may be missing anything since');
    assert.equal(informer.healthy(), true, 'the loop itself is alive: no restart by liveness');
    lw.listScript.length = 0;
    await clock.advance(31_000);
    assert.equal(informer.ready(), true);
    await informer.stop();
  });
});

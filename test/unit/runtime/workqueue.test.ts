import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue, type InflightStats, type Priority, type WorkQueueMetrics } from '../../../src/runtime/workqueue.ts';
import { ExponentialRateLimiter } from '../../../src/runtime/backoff.ts';
import { FakeClock } from '../support/fake-clock.ts';

class RecordingMetrics implements WorkQueueMetrics {
  adds = 0;
  retries = 0;
  depths: Record<Priority, number> = { normal: 0, low: 0 };
  queueDurations: number[] = [];
  workDurations: number[] = [];
  probe: (() => InflightStats) | undefined;
  added(): void { this.adds++; }
  depth(priority: Priority, items: number): void { this.depths[priority] = items; }
  queueDuration(s: number): void { this.queueDurations.push(s); }
  workDuration(s: number): void { this.workDurations.push(s); }
  retried(): void { this.retries++; }
  trackInflight(probe: () => InflightStats): void { this.probe = probe; }
}

function setup() {
  const clock = new FakeClock();
  const metrics = new RecordingMetrics();
  const queue = new WorkQueue({ clock, metrics });
  return { clock, metrics, queue };
}

describe('WorkQueue', () => {
  it('hands out an urgent key before normal and low keys queued earlier', async () => {
    const { queue } = setup();
    queue.add('ns/low', { lowPriority: true });
    queue.add('ns/a');
    queue.add('ns/failed', { urgent: true });
    assert.equal(await queue.get(), 'ns/failed');
    assert.equal(await queue.get(), 'ns/a');
    assert.equal(await queue.get(), 'ns/low');
  });

  it('gives an urgent-only getter urgent keys only, and waits it for the next one', async () => {
    const { queue } = setup();
    queue.add('ns/a');
    const urgentGet = queue.get({ urgentOnly: true });
    let got: string | undefined;
    void urgentGet.then((k) => { got = k; });
    await Promise.resolve();
    assert.equal(got, undefined, 'a normal key is not for the urgent worker');
    assert.equal(queue.len(), 1);
    queue.add('ns/failed', { urgent: true });
    assert.equal(await urgentGet, 'ns/failed');
    assert.equal(await queue.get(), 'ns/a');
  });

  it('makes a waiting key urgent when it is added urgent, even one waiting at low priority', async () => {
    const { queue } = setup();
    queue.add('ns/a', { lowPriority: true });
    queue.add('ns/b');
    const urgentGet = queue.get({ urgentOnly: true });
    queue.add('ns/a', { urgent: true });
    assert.equal(await urgentGet, 'ns/a');
    assert.equal(await queue.get(), 'ns/b');
    assert.equal(queue.len(), 0, 'ns/a not handed out twice');
  });

  it('keeps an urgent add made while the key is processed urgent for the run after it', async () => {
    const { queue } = setup();
    queue.add('ns/a');
    assert.equal(await queue.get(), 'ns/a');
    queue.add('ns/b');
    queue.add('ns/a', { urgent: true });
    const urgentGet = queue.get({ urgentOnly: true });
    queue.done('ns/a');
    assert.equal(await urgentGet, 'ns/a', 'queued again as urgent, never twice at once');
    assert.equal(await queue.get(), 'ns/b');
  });

  it('hands out keys in the order they were added', async () => {
    const { queue } = setup();
    queue.add('ns/a');
    queue.add('ns/b');
    assert.equal(await queue.get(), 'ns/a');
    assert.equal(await queue.get(), 'ns/b');
  });

  it('does not queue a key that is already queued', async () => {
    const { queue, metrics } = setup();
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.len(), 1);
    assert.equal(metrics.adds, 1);
  });

  it('runs a key re-added during processing once more, only after done', async () => {
    const { queue } = setup();
    queue.add('ns/a');
    const key = await queue.get();
    assert.equal(key, 'ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.len(), 0, 'not handed out while in flight');
    queue.done('ns/a');
    assert.equal(queue.len(), 1);
    assert.equal(await queue.get(), 'ns/a');
    queue.done('ns/a');
    assert.equal(queue.len(), 0);
  });

  it('never gives the same key to two waiting workers at once', async () => {
    const { queue, clock } = setup();
    const got: string[] = [];
    void queue.get().then((k) => k && got.push(k));
    void queue.get().then((k) => k && got.push(k));
    queue.add('ns/a');
    await clock.flush();
    queue.add('ns/a');
    await clock.flush();
    assert.deepEqual(got, ['ns/a']);
    queue.done('ns/a');
    await clock.flush();
    assert.deepEqual(got, ['ns/a', 'ns/a']);
  });

  it('serves normal-priority keys before low-priority ones', async () => {
    const { queue } = setup();
    queue.add('ns/initial-1', { lowPriority: true });
    queue.add('ns/initial-2', { lowPriority: true });
    queue.add('ns/changed');
    assert.equal(await queue.get(), 'ns/changed');
    assert.equal(await queue.get(), 'ns/initial-1');
  });

  it('promotes a low-priority key when it is added at normal priority', async () => {
    const { queue, metrics } = setup();
    queue.add('ns/x', { lowPriority: true });
    queue.add('ns/y', { lowPriority: true });
    queue.add('ns/y');
    assert.deepEqual(metrics.depths, { normal: 1, low: 1 });
    assert.equal(await queue.get(), 'ns/y');
    assert.equal(await queue.get(), 'ns/x');
  });

  it('adds a key after the given delay, keeping the earliest of several delays', async () => {
    const { queue, clock } = setup();
    // The earliest is neither the first nor the last: "the last wins" would fire at 5 s.
    queue.addAfter('ns/a', 1000);
    queue.addAfter('ns/a', 500);
    queue.addAfter('ns/a', 5000);
    await clock.advance(499);
    assert.equal(queue.len(), 0);
    await clock.advance(1);
    assert.equal(queue.len(), 1);
    await clock.advance(10_000);
    assert.equal(queue.len(), 1, 'later delays were dropped');
  });

  it('backs a failing key off 5 ms x 2^n and starts over after forget', async () => {
    const { queue, clock, metrics } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      queue.addRateLimited('ns/a');
      const before = clock.now();
      while (queue.len() === 0) await clock.advance(1);
      delays.push(clock.now() - before);
      assert.equal(await queue.get(), 'ns/a');
      queue.done('ns/a');
    }
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(queue.numRequeues('ns/a'), 4);
    assert.equal(metrics.retries, 4);
    queue.forget('ns/a');
    assert.equal(queue.numRequeues('ns/a'), 0);
  });

  it('resolves waiting getters with undefined on shutdown and ignores later adds', async () => {
    const { queue } = setup();
    const pending = queue.get();
    queue.shutDown();
    assert.equal(await pending, undefined);
    queue.add('ns/a');
    assert.equal(queue.len(), 0);
    assert.equal(await queue.get(), undefined);
  });

  it('stops handing out queued keys once shut down', async () => {
    const { queue } = setup();
    queue.add('ns/a');
    queue.shutDown();
    assert.equal(await queue.get(), undefined);
  });

  it('cancels delayed adds on shutdown', async () => {
    const { queue, clock } = setup();
    queue.addAfter('ns/a', 100);
    queue.shutDown();
    assert.equal(clock.pending(), 0);
  });

  it('after shutdown starts no timer for a delayed add and counts no retry', async () => {
    const { queue, clock, metrics } = setup();
    queue.shutDown();
    queue.addAfter('ns/a', 100);
    assert.equal(clock.pending(), 0, 'a timer left behind would keep a stopping process alive');
    queue.addRateLimited('ns/b');
    assert.equal(metrics.retries, 0);
    assert.equal(queue.numRequeues('ns/b'), 0);
    assert.equal(clock.pending(), 0);
  });

  it('reports queue time, work time and in-flight time to its metrics', async () => {
    const { queue, clock, metrics } = setup();
    queue.add('ns/a');
    await clock.advance(2000);
    await queue.get();
    await clock.advance(3000);
    assert.deepEqual(metrics.probe!(), { unfinishedSeconds: 3, longestRunningSeconds: 3 });
    queue.done('ns/a');
    assert.deepEqual(metrics.queueDurations, [2]);
    assert.deepEqual(metrics.workDurations, [3]);
    assert.deepEqual(metrics.probe!(), { unfinishedSeconds: 0, longestRunningSeconds: 0 });
  });

  it('counts neither a getter waiting on an empty queue nor a done() for a key not in flight', async () => {
    const { queue, clock, metrics } = setup();
    const waiting = queue.get();
    await clock.advance(3000);
    assert.deepEqual(metrics.probe!(), { unfinishedSeconds: 0, longestRunningSeconds: 0 });
    queue.done('ns/never-handed-out');
    assert.deepEqual(metrics.workDurations, []);
    queue.add('ns/a');
    assert.equal(await waiting, 'ns/a');
  });
});

describe('ExponentialRateLimiter', () => {
  it('caps the delay at 1000 s by default', () => {
    const limiter = new ExponentialRateLimiter();
    let last = 0;
    for (let i = 0; i < 40; i++) last = limiter.when('k');
    assert.equal(last, 1_000_000);
  });

  it('accepts its own base and cap', () => {
    const limiter = new ExponentialRateLimiter({ baseDelayMs: 100, maxDelayMs: 350 });
    assert.deepEqual([limiter.when('k'), limiter.when('k'), limiter.when('k'), limiter.when('k')], [100, 200, 350, 350]);
    assert.equal(limiter.when('other'), 100, 'keys back off independently');
  });
});

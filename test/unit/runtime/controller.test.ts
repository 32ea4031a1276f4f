import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Controller, TerminalError, type ControllerMetrics, type ReconcileContext, type ReconcileOutcome, type Result } from '../../../src/runtime/controller.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import { objectKey, type KubeObject } from '../../../src/runtime/kube-object.ts';
import type { WorkQueueMetrics } from '../../../src/runtime/workqueue.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';
import { FakeListWatcher, obj, type TestObject } from './fake-list-watch.ts';
import { recordingLogger } from './recording-logger.ts';

class Metrics implements ControllerMetrics {
  outcomes: ReconcileOutcome[] = [];
  terminal = 0;
  errors = 0;
  max = 0;
  active = 0;
  reconciled(outcome: ReconcileOutcome): void { this.outcomes.push(outcome); }
  failed(terminal: boolean): void { this.errors++; if (terminal) this.terminal++; }
  maxWorkers(n: number): void { this.max = n; }
  activeWorkers(delta: number): void { this.active += delta; }
}

const noQueueMetrics: WorkQueueMetrics = {
  added() {}, depth() {}, queueDuration() {}, workDuration() {}, retried() {}, trackInflight() {},
};

type Reconcile = (key: string, ctx: ReconcileContext) => Promise<Result>;

function informerOf(clock: FakeClock, name: string) {
  const lw = new FakeListWatcher<TestObject>();
  const informer = new Informer<TestObject>({ name, listWatcher: lw, clock, random: fixedRandom(0) });
  return { lw, informer };
}

function setup(reconcile: Reconcile, opts: { workers?: number; urgentWorkers?: number; accepts?: (key: string) => boolean } = {}) {
  const clock = new FakeClock();
  const metrics = new Metrics();
  const logger = recordingLogger();
  const agents = informerOf(clock, 'agents');
  let ids = 0;
  const controller = new Controller({
    name: 'agent',
    reconcile,
    clock,
    random: fixedRandom(0.5),
    logger,
    metrics: { controller: () => metrics, workqueue: () => noQueueMetrics },
    newReconcileId: () => `r${++ids}`,
    ...(opts.workers ? { workers: opts.workers } : {}),
    ...(opts.urgentWorkers ? { urgentWorkers: opts.urgentWorkers } : {}),
    ...(opts.accepts ? { accepts: opts.accepts } : {}),
  });
  controller.forPrimary(agents.informer);
  return { clock, metrics, logger, agents, controller };
}

async function run(s: { agents: { informer: Informer<TestObject> }; controller: Controller; clock: FakeClock }, ...more: Array<Informer<TestObject>>) {
  s.agents.informer.start();
  for (const i of more) i.start();
  await s.controller.start();
  await s.clock.flush();
}

const agent = (name: string, rv: string, generation: number, extra: Partial<TestObject> = {}) => obj(name, rv, { generation, ...extra });

describe('Controller', () => {
  it('reconciles only the keys it accepts (a shard it holds), and resync() queues those it accepts now', async () => {
    const seen: string[] = [];
    const held = new Set(['ns/a']);
    const s = setup(async (key) => {
      seen.push(key);
    }, { accepts: (key) => held.has(key) });
    s.agents.lw.put(agent('a', '1', 1));
    s.agents.lw.put(agent('b', '1', 1));
    await run(s);
    assert.deepEqual(seen, ['ns/a'], 'b is in a shard this replica does not hold');
    s.agents.lw.current!.push({ type: 'MODIFIED', object: agent('b', '2', 2) });
    await s.clock.flush();
    assert.deepEqual(seen, ['ns/a'], 'nor is it queued by its events');
    // b's shard is gained: resync queues it from the cache; a shard lost while its key waits: dropped at dequeue.
    held.add('ns/b');
    s.controller.queue.add('ns/a');
    held.delete('ns/a');
    s.controller.resync();
    await s.clock.flush();
    assert.deepEqual(seen, ['ns/a', 'ns/b']);
    await s.controller.stop();
  });

  it('reconciles every primary from the initial list, and a real change first', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = setup(async (key) => {
      seen.push(key);
      if (seen.length === 1) await gate;
    });
    s.agents.lw.put(agent('a', '1', 1));
    s.agents.lw.put(agent('b', '1', 1));
    s.agents.lw.put(agent('c', '1', 1));
    await run(s);
    s.agents.lw.current!.push({ type: 'MODIFIED', object: agent('c', '2', 2) });
    await s.clock.flush();
    release();
    await s.clock.flush();
    assert.deepEqual(seen, ['ns/a', 'ns/c', 'ns/b']);
    await s.controller.stop();
  });

  it('ignores status-only updates of the primary but reacts to spec, labels, annotations, finalizers and deletion', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    seen.length = 0;
    const push = async (o: TestObject) => {
      s.agents.lw.current!.push({ type: 'MODIFIED', object: o });
      await s.clock.flush();
    };
    await push(agent('a', '2', 1, { status: { phase: 'Ready' } } as never));
    assert.deepEqual(seen, [], 'status write');
    await push(agent('a', '3', 2));
    await push(agent('a', '4', 2, { metadata: { annotations: { pause: 'true' } } } as never));
    await push(agent('a', '5', 2, { metadata: { annotations: { pause: 'true' }, finalizers: ['x'] } } as never));
    await push(agent('a', '6', 2, { metadata: { annotations: { pause: 'true' }, finalizers: ['x'], deletionTimestamp: 'now' } } as never));
    s.agents.lw.current!.push({ type: 'DELETED', object: agent('a', '7', 2) });
    await s.clock.flush();
    assert.equal(seen.length, 5);
    await s.controller.stop();
  });

  it('maps owned objects to their controller owner and ignores other owner references', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); });
    const deployments = informerOf(s.clock, 'deployments');
    s.controller.owns(deployments.informer, { group: 'agents.example.com', kind: 'Agent' });
    await run(s, deployments.informer);
    const owned = (name: string, owner: string, apiVersion: string, controller: boolean) =>
      obj(name, '9', { metadata: { ownerReferences: [{ apiVersion, kind: 'Agent', name: owner, uid: 'u', controller }] } } as never);
    deployments.lw.current!.push({ type: 'ADDED', object: owned('d1', 'owner-1', 'agents.example.com/v1', true) });
    deployments.lw.current!.push({ type: 'ADDED', object: owned('d2', 'owner-2', 'agents.example.com/v1', false) });
    deployments.lw.current!.push({ type: 'ADDED', object: owned('d3', 'owner-3', 'other.io/v1', true) });
    deployments.lw.current!.push({ type: 'DELETED', object: owned('d4', 'owner-4', 'agents.example.com/v2', true) });
    await s.clock.flush();
    assert.deepEqual(seen, ['ns/owner-1', 'ns/owner-4']);
    await s.controller.stop();
  });

  it('maps a changed Secret to every primary that references it, through an index on the primaries', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); });
    s.agents.informer.addIndex('secret', (a) => ((a.spec?.secrets as string[]) ?? []).map((n) => `${a.metadata!.namespace}/${n}`));
    const secrets = informerOf(s.clock, 'secrets');
    s.controller.watch(secrets.informer, (o) => s.agents.informer.store.byIndex('secret', objectKey(o)).map(objectKey));
    s.agents.lw.put(agent('uses-db', '1', 1, { spec: { secrets: ['db'] } }));
    s.agents.lw.put(agent('uses-db-too', '1', 1, { spec: { secrets: ['db', 'api'] } }));
    s.agents.lw.put(agent('unrelated', '1', 1, { spec: { secrets: ['other'] } }));
    await run(s, secrets.informer);
    seen.length = 0;
    secrets.lw.current!.push({ type: 'MODIFIED', object: obj('db', '50') });
    await s.clock.flush();
    assert.deepEqual(seen.sort(), ['ns/uses-db', 'ns/uses-db-too']);
    await s.controller.stop();
  });

  it('retries a failing key with per-key backoff and forgets the failures after a success', async () => {
    const at: number[] = [];
    let failures = 3;
    const s = setup(async () => {
      at.push(s.clock.now());
      if (failures-- > 0) throw new Error('apiserver hiccup');
    });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    await s.clock.advance(100);
    const start = at[0]!;
    assert.deepEqual(at.map((t) => t - start), [0, 5, 15, 35]);
    assert.equal(s.controller.queue.numRequeues('ns/a'), 0);
    assert.deepEqual(s.metrics.outcomes, ['error', 'error', 'error', 'success']);
    const errorLine = s.logger.lines.find((l) => l.msg === 'Reconciler error');
    assert.equal(errorLine?.fields.controller, 'agent');
    await s.controller.stop();
  });

  it('does not retry a TerminalError, even one wrapped as a cause, and counts it', async () => {
    let calls = 0;
    const s = setup(async () => {
      calls++;
      throw new Error('reconcile failed', { cause: new TerminalError('spec.image is empty') });
    });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    await s.clock.advance(10_000);
    assert.equal(calls, 1);
    assert.equal(s.metrics.terminal, 1);
    assert.deepEqual(s.metrics.outcomes, ['error']);
    await s.controller.stop();
  });

  it('reconciles again after requeueAfter and resets the backoff', async () => {
    const at: number[] = [];
    const s = setup(async () => {
      at.push(s.clock.now());
      if (at.length === 1) throw new Error('once');
      return at.length === 2 ? { requeueAfter: 60_000 } : undefined;
    });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    await s.clock.advance(120_000);
    const start = at[0]!;
    assert.deepEqual(at.map((t) => t - start), [0, 5, 60_005]);
    assert.equal(s.controller.queue.numRequeues('ns/a'), 0);
    assert.deepEqual(s.metrics.outcomes, ['error', 'requeue_after', 'success']);
    await s.controller.stop();
  });

  it('runs several keys at once with N workers but never one key twice at once', async () => {
    let running = 0;
    let peak = 0;
    const perKey = new Map<string, number>();
    const s = setup(async (key) => {
      running++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      assert.equal(perKey.get(key), 1, `${key} reconciled concurrently`);
      peak = Math.max(peak, running);
      await s.clock.sleep(1000);
      perKey.set(key, perKey.get(key)! - 1);
      running--;
    }, { workers: 3 });
    for (const n of ['a', 'b', 'c', 'd']) s.agents.lw.put(agent(n, '1', 1));
    await run(s);
    s.agents.lw.current!.push({ type: 'MODIFIED', object: agent('a', '2', 2) });
    await s.clock.advance(5000);
    assert.equal(peak, 3);
    assert.equal(s.metrics.max, 3);
    assert.equal(s.metrics.active, 0);
    await s.controller.stop();
  });

  it('reconciles an urgent change at once while every worker waits on another key, and a normal change after them', async () => {
    // The detection bench's case: both workers held by other Agents' rollouts
    // (each waiting on a write), a pod's container dies. Without the urgent
    // worker the failure waited for a worker (30-160 ms at load 9).
    const started: Array<[string, number]> = [];
    const s = setup(async (key) => {
      started.push([key, s.clock.now()]);
      if (key === 'ns/busy-1' || key === 'ns/busy-2') await s.clock.sleep(1000);
    }, { workers: 2, urgentWorkers: 1 });
    const pods = informerOf(s.clock, 'pods');
    const died = (o: KubeObject | undefined, n: KubeObject) => (n as TestObject).metadata?.labels?.['died'] === 'true' && (o as TestObject | undefined)?.metadata?.labels?.['died'] !== 'true';
    s.controller.watch(pods.informer, (o) => [`ns/${o.metadata?.labels?.['agent']}`], { urgent: died });
    await run(s, pods.informer);
    started.length = 0;
    const t0 = s.clock.now();
    s.agents.lw.current!.push({ type: 'MODIFIED', object: agent('busy-1', '2', 2) });
    s.agents.lw.current!.push({ type: 'MODIFIED', object: agent('busy-2', '2', 2) });
    await s.clock.flush();
    pods.lw.current!.push({ type: 'ADDED', object: obj('p-normal', '1', { metadata: { labels: { agent: 'normal' } } } as never) });
    pods.lw.current!.push({ type: 'ADDED', object: obj('p-failed', '1', { metadata: { labels: { agent: 'failed', died: 'true' } } } as never) });
    await s.clock.flush();
    assert.deepEqual(started.map(([k, t]) => [k, t - t0]), [['ns/busy-1', 0], ['ns/busy-2', 0], ['ns/failed', 0]]);
    assert.equal(s.metrics.max, 3);
    await s.clock.advance(1000);
    assert.deepEqual(started.map(([k, t]) => [k, t - t0]).at(-1), ['ns/normal', 1000]);
    await s.controller.stop();
  });

  it('reconciles a key whose object was failing in the first list before the rest of that list', async () => {
    // An operator restarted (SIGKILL, OOM) under a crash loop: every Agent of
    // the first list is queued low; without failingAtStart the failing one
    // waited behind all of them (26-27 s of the chaos run's operator-kill).
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); }, { workers: 1 });
    const pods = informerOf(s.clock, 'pods');
    s.controller.watch(pods.informer, (o) => [`ns/${o.metadata?.labels?.['agent']}`], { failingAtStart: (o) => o.metadata?.labels?.['failing'] === 'true' });
    for (const name of ['a', 'b', 'c', 'd']) {
      s.agents.lw.put(agent(name, '1', 1));
      pods.lw.put(obj(`p-${name}`, '1', { metadata: { labels: { agent: name, ...(name === 'c' ? { failing: 'true' } : {}) } } } as never));
    }
    await run(s, pods.informer);
    assert.deepEqual(seen, ['ns/c', 'ns/a', 'ns/b', 'ns/d']);
    await s.controller.stop();
  });

  it('on stop takes no new work and waits for the in-flight reconcile', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => {
      seen.push(key);
      await s.clock.sleep(5000);
    });
    s.agents.lw.put(agent('a', '1', 1));
    s.agents.lw.put(agent('b', '1', 1));
    await run(s);
    let stopped = false;
    void s.controller.stop().then(() => { stopped = true; });
    await s.clock.advance(4999);
    assert.equal(stopped, false);
    await s.clock.advance(1);
    assert.equal(stopped, true);
    assert.deepEqual(seen, ['ns/a']);
  });

  it('at the shutdown deadline aborts the in-flight reconciles\' signal and returns as soon as they end', async () => {
    let signal: AbortSignal | undefined;
    const s = setup(async (_key, ctx) => {
      signal = ctx.signal;
      // Like a request carrying the signal: ends when it aborts.
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    let stopped = false;
    void s.controller.stop().then(() => { stopped = true; });
    await s.clock.advance(29_999);
    assert.equal(stopped, false);
    assert.equal(signal?.aborted, false);
    await s.clock.advance(1);
    assert.equal(signal?.aborted, true);
    assert.equal(stopped, true);
  });

  it('gives up on a reconcile that ignores the abort 5 s after the shutdown deadline', async () => {
    let signal: AbortSignal | undefined;
    const s = setup(async (_key, ctx) => {
      signal = ctx.signal;
      await new Promise(() => {});
    });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    let stopped = false;
    void s.controller.stop().then(() => { stopped = true; });
    await s.clock.advance(30_000);
    assert.equal(signal?.aborted, true);
    await s.clock.advance(4_999);
    assert.equal(stopped, false);
    await s.clock.advance(1);
    assert.equal(stopped, true);
    assert.ok(s.logger.lines.some((l) => l.msg === 'reconciles ignored the abort; going on without them'));
  });

  it('resyncs every primary at low priority after 10 h +-10 %, past the generation filter', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); });
    // An owned source has no resync mapping: the resync passes it by.
    const deployments = informerOf(s.clock, 'deployments');
    s.controller.owns(deployments.informer, { group: 'agents.example.com', kind: 'Agent' });
    deployments.lw.put(obj('a', '1', { metadata: { ownerReferences: [{ apiVersion: 'agents.example.com/v1', kind: 'Agent', name: 'a', uid: 'u', controller: true }] } } as never));
    s.agents.lw.put(agent('a', '1', 1));
    s.agents.lw.put(agent('b', '1', 1));
    await run(s, deployments.informer);
    seen.length = 0;
    await s.clock.advance(10 * 3600_000 - 1);
    assert.deepEqual(seen, []);
    await s.clock.advance(1);
    assert.deepEqual(seen.sort(), ['ns/a', 'ns/b']);
    await s.controller.stop();
  });

  it('gives every log line of one reconcile the same reconcile ID, namespace and name', async () => {
    const s = setup(async (_key, ctx) => {
      ctx.log.info({ step: 1 }, 'applying');
      ctx.log.info({ step: 2 }, 'status');
    });
    s.agents.lw.put(agent('a', '1', 1));
    await run(s);
    const lines = s.logger.lines.filter((l) => l.fields.step !== undefined);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.deepEqual([l.fields.controller, l.fields.reconcileID, l.fields.namespace, l.fields.name], ['agent', 'r1', 'ns', 'a']);
    await s.controller.stop();
  });

  it('keeps working when an urgent or failing-at-start judge throws: the event is queued as if it had said no', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); }, { workers: 1 });
    const pods = informerOf(s.clock, 'pods');
    const judge = (): boolean => { throw new Error('judge bug'); };
    s.controller.watch(pods.informer, (o) => [`ns/${o.metadata?.labels?.['agent']}`], { urgent: judge, failingAtStart: judge });
    for (const name of ['a', 'b']) {
      s.agents.lw.put(agent(name, '1', 1));
      pods.lw.put(obj(`p-${name}`, '1', { metadata: { labels: { agent: name } } } as never));
    }
    await run(s, pods.informer);
    assert.deepEqual(seen, ['ns/a', 'ns/b']);
    pods.lw.current!.push({ type: 'ADDED', object: obj('p-c', '2', { metadata: { labels: { agent: 'c' } } } as never) });
    await s.clock.flush();
    assert.deepEqual(seen, ['ns/a', 'ns/b', 'ns/c']);
    assert.ok(s.logger.lines.some((l) => l.msg === 'judging a listed object failing failed'));
    assert.ok(s.logger.lines.some((l) => l.msg === 'judging an event urgent failed'));
    await s.controller.stop();
  });

  it('refuses watch() after start(), and takes a second start() as done: still one worker', async () => {
    let running = 0;
    let most = 0;
    const s = setup(async () => {
      running++;
      most = Math.max(most, running);
      await s.clock.sleep(1000);
      running--;
    });
    s.agents.lw.put(agent('a', '1', 1));
    s.agents.lw.put(agent('b', '1', 1));
    await run(s);
    assert.equal(await s.controller.start(), true);
    await s.clock.advance(3000);
    assert.equal(most, 1, 'a second start() started a second worker');
    const late = informerOf(s.clock, 'late');
    assert.throws(() => s.controller.watch(late.informer, (o: KubeObject) => [objectKey(o)]), { message: 'controller agent: watch() after start()' });
    await s.controller.stop();
  });

  it('starts no workers when its signal aborts or it is stopped before the caches sync, and start() after stop() is false at once', async () => {
    const seen: string[] = [];
    const aborted = setup(async (key) => { seen.push(key); });
    assert.equal(await aborted.controller.start(AbortSignal.abort()), false, 'signal aborted before sync');
    await aborted.controller.stop();

    const stopped = setup(async (key) => { seen.push(key); });
    stopped.agents.lw.put(agent('a', '1', 1));
    const starting = stopped.controller.start();
    await stopped.controller.stop();
    stopped.agents.informer.start();
    assert.equal(await starting, false, 'stopped while waiting for the caches');
    await stopped.clock.flush();
    assert.equal(seen.length, 0, 'reconciled after a stop');

    const late = setup(async (key) => { seen.push(key); });
    await late.controller.stop();
    const answer = await Promise.race([late.controller.start(), late.clock.flush().then(() => 'still waiting')]);
    assert.equal(answer, false, 'start() after stop()');
    await stopped.agents.informer.stop();
  });

  it('keeps working when a mapper throws', async () => {
    const seen: string[] = [];
    const s = setup(async (key) => { seen.push(key); });
    const other = informerOf(s.clock, 'other');
    s.controller.watch(other.informer, (o: KubeObject) => {
      if (o.metadata?.name === 'bad') throw new Error('mapper bug');
      return [objectKey(o)];
    });
    await run(s, other.informer);
    other.lw.current!.push({ type: 'ADDED', object: obj('bad', '2') });
    other.lw.current!.push({ type: 'ADDED', object: obj('good', '3') });
    await s.clock.flush();
    assert.deepEqual(seen, ['ns/good']);
    assert.ok(s.logger.lines.some((l) => l.msg === 'mapping an event to keys failed'));
    await s.controller.stop();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Controller } from '../../../src/runtime/controller.ts';
import { LeaderElector, type LeaseStore } from '../../../src/runtime/leader-election.ts';
import { RuntimeMetrics } from '../../../src/runtime/metrics.ts';
import { FakeClock } from '../support/fake-clock.ts';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value;
}

describe('RuntimeMetrics', () => {
  it('registers controller-runtime names on the registry it is given, so several can coexist', async () => {
    const a = new Registry();
    const b = new Registry();
    new RuntimeMetrics(a).controller('agent');
    new RuntimeMetrics(b).controller('agent');
    const text = await a.metrics();
    for (const name of [
      'controller_runtime_reconcile_total', 'controller_runtime_reconcile_errors_total',
      'controller_runtime_terminal_reconcile_errors_total', 'controller_runtime_reconcile_time_seconds',
      'controller_runtime_max_concurrent_reconciles', 'controller_runtime_active_workers', 'workqueue_depth',
      'workqueue_adds_total', 'workqueue_queue_duration_seconds', 'workqueue_work_duration_seconds',
      'workqueue_retries_total', 'workqueue_unfinished_work_seconds', 'workqueue_longest_running_processor_seconds',
      'leader_election_master_status',
    ]) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'));
    assert.match(text, /^controller_runtime_reconcile_total\{controller="agent",result="requeue_after"\} 0$/m);
    // Only results a Result can produce: it has requeueAfter, no bare requeue, so no series that stays at 0 forever.
    assert.deepEqual([...text.matchAll(/^controller_runtime_reconcile_total\{controller="agent",result="(\w+)"\}/gm)].map((m) => m[1]).sort(), ['error', 'requeue_after', 'success']);
  });

  it('counts outcomes, errors, terminal errors and workers of a running controller', async () => {
    const registry = new Registry();
    const metrics = new RuntimeMetrics(registry);
    const clock = new FakeClock();
    let calls = 0;
    const controller = new Controller({
      name: 'agent',
      clock,
      metrics,
      workers: 2,
      reconcile: async () => {
        calls++;
        await clock.sleep(2000);
        if (calls === 1) throw new Error('transient');
        return calls === 2 ? { requeueAfter: 1000 } : undefined;
      },
    });
    await controller.start();
    controller.queue.add('ns/a');
    await clock.advance(1000);
    assert.equal(await value(registry, 'controller_runtime_active_workers', { controller: 'agent' }), 1);
    assert.equal(await value(registry, 'workqueue_longest_running_processor_seconds', { name: 'agent' }), 1);
    await clock.advance(10_000);
    assert.equal(await value(registry, 'controller_runtime_reconcile_total', { result: 'error' }), 1);
    assert.equal(await value(registry, 'controller_runtime_reconcile_total', { result: 'requeue_after' }), 1);
    assert.equal(await value(registry, 'controller_runtime_reconcile_total', { result: 'success' }), 1);
    assert.equal(await value(registry, 'controller_runtime_reconcile_errors_total', { controller: 'agent' }), 1);
    assert.equal(await value(registry, 'controller_runtime_terminal_reconcile_errors_total', { controller: 'agent' }), 0);
    assert.equal(await value(registry, 'controller_runtime_max_concurrent_reconciles', { controller: 'agent' }), 2);
    assert.equal(await value(registry, 'controller_runtime_active_workers', { controller: 'agent' }), 0);
    assert.equal(await value(registry, 'workqueue_retries_total', { name: 'agent', controller: 'agent' }), 1);
    assert.equal(await value(registry, 'workqueue_adds_total', { name: 'agent' }), 3);
    assert.equal(await value(registry, 'workqueue_depth', { name: 'agent', priority: '0' }), 0);
    assert.equal(await value(registry, 'workqueue_unfinished_work_seconds', { name: 'agent' }), 0);
    assert.match(await registry.metrics(), /^controller_runtime_reconcile_time_seconds_count\{controller="agent"\} 3$/m);
    await controller.stop();
  });

  it('shows leadership as leader_election_master_status', async () => {
    const registry = new Registry();
    const metrics = new RuntimeMetrics(registry);
    const store: LeaseStore = {
      description: 'x',
      get: async () => undefined,
      create: async (spec) => ({ spec, resourceVersion: '1' }),
      update: async (rec) => rec,
    };
    const clock = new FakeClock();
    const elector = new LeaderElector({ store, clock, identity: 'me', metrics: metrics.leaderElection('agent-operator') });
    assert.equal(await value(registry, 'leader_election_master_status', { name: 'agent-operator' }), 0);
    elector.start();
    await clock.flush();
    assert.equal(await value(registry, 'leader_election_master_status', { name: 'agent-operator' }), 1);
    await elector.stop();
    assert.equal(await value(registry, 'leader_election_master_status', { name: 'agent-operator' }), 0);
  });
});

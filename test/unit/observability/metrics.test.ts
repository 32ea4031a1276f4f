import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../../src/observability/metrics.ts';

/** The value of one series in the text exposition, or undefined when absent. */
async function sample(text: Promise<string> | string, series: string): Promise<number | undefined> {
  const line = (await text).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  it('exposes the domain metrics with zero-valued series from the start', async () => {
    const m = createMetrics({ processMetrics: false });
    const text = m.registry.metrics();
    assert.equal(await sample(text, 'agent_operator_agents{phase="Running"}'), 0);
    assert.equal(await sample(text, 'agent_operator_reconcile_outcomes_total{outcome="unchanged"}'), 0);
    assert.equal(await sample(text, 'agent_operator_remediations_total{action="RestartPod"}'), 0);
    assert.match(await text, /# TYPE agent_operator_api_requests_total counter/);
    assert.match(await text, /# TYPE agent_operator_failures_total counter/);
  });

  it('includes Node process metrics without a prefix by default', async () => {
    const text = await createMetrics().registry.metrics();
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^nodejs_heap_size_used_bytes /m);
  });

  it('counts each Agent once, under the phase last recorded for it', async () => {
    const m = createMetrics({ processMetrics: false });
    m.agents.set('ns/a', 'Pending');
    m.agents.set('ns/b', 'Pending');
    m.agents.set('ns/a', 'Running');
    m.agents.set('ns/a', 'Running');
    const text = await m.registry.metrics();
    assert.equal(await sample(text, 'agent_operator_agents{phase="Pending"}'), 1);
    assert.equal(await sample(text, 'agent_operator_agents{phase="Running"}'), 1);
    m.agents.set('ns/a', undefined);
    m.agents.set('ns/gone', undefined);
    assert.equal(await sample(m.registry.metrics(), 'agent_operator_agents{phase="Running"}'), 0);
  });

  it('counts failures, remediations and outcomes by their label', async () => {
    const m = createMetrics({ processMetrics: false });
    m.failures.inc({ reason: 'OOMKilled' });
    m.failures.inc({ reason: 'OOMKilled' });
    m.remediations.inc({ action: 'IncreaseMemory' });
    m.reconcileOutcomes.inc({ outcome: 'applied' });
    const text = await m.registry.metrics();
    assert.equal(await sample(text, 'agent_operator_failures_total{reason="OOMKilled"}'), 2);
    assert.equal(await sample(text, 'agent_operator_remediations_total{action="IncreaseMemory"}'), 1);
    assert.equal(await sample(text, 'agent_operator_reconcile_outcomes_total{outcome="applied"}'), 1);
  });

  it('keeps each Metrics object in its own registry, so tests and processes do not share counts', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.failures.inc({ reason: 'CrashLoopBackOff' });
    assert.equal(await sample(b.registry.metrics(), 'agent_operator_failures_total{reason="CrashLoopBackOff"}'), undefined);
  });
});

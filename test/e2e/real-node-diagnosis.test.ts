// Diagnosis from real signals, on the real node, four agents at once under one
// operator reading the kubelet's cAdvisor metrics (--node-metrics, every 3 s):
// - a crashing agent's own error line (its log's tail, kept by the kubelet as
//   the termination message) is in kubectl describe agent, and the token it
//   printed before dying (a canary from a Secret) is in no status and no event;
// - a busy agent under a 50m CPU limit is reported CPUThrottled with a share
//   that matches what cAdvisor's counters say over the same stretch;
// - an agent leaking 1 MiB/s toward its limit is warned about (MemoryNearLimit)
//   before the kernel kills it;
// - the same growth, stopping a little above the limit, with recovery.oomKilled.proactive
//   gets its limit raised before any kill, and no pod is ever OOM-killed, though
//   it grows past the old limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../src/api/agent.ts';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { agentEvents, apply, condition, getAgent, waitForCondition } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';
import { watchAll } from '../support/watch.ts';
import { onRealNode, realNodeImages, realNodeName, requireRealNode } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
const TOKEN = `canary-${Math.random().toString(36).slice(2, 12)}-token`;
let ns: string;
let op: RunningOperator;

/** Every OOM kill the kubelet reports, by pod name, and when (finishedAt). */
const kills = new Map<string, string>();
const watches: { stop(): void }[] = [];

const agentYaml = (name: string, image: string, env: Record<string, string>, extra = '', ports = true) => `
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: ${name} }
spec:
  image: ${image}
${ports ? '  ports: [{ name: http, containerPort: 8080 }]' : ''}
  env: ${JSON.stringify(Object.entries(env).map(([n, v]) => ({ name: n, value: v })))}
  podTemplate: ${JSON.stringify(onRealNode)}
${extra}`;

describe('diagnosis from real signals on the real node', () => {
  after(() => { for (const w of watches) w.stop(); });

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'real-node-diagnosis');
    op = await startOperator(cluster(), { namespaces: [ns], env: { NODE_METRICS: 'true', NODE_METRICS_INTERVAL_SECONDS: '3' } });
    watches.push(watchAll<V1Pod>(cluster().kc, `/api/v1/namespaces/${ns}/pods`, (p) => {
      for (const cs of p.status?.containerStatuses ?? []) {
        for (const t of [cs.state?.terminated, cs.lastState?.terminated]) {
          if (t?.reason === 'OOMKilled' && !kills.has(p.metadata!.name!)) kills.set(p.metadata!.name!, new Date(t.finishedAt ?? Date.now()).toISOString());
        }
      }
    }));
  });

  it('shows a crash\'s last words, a throttled CPU with cAdvisor\'s figure, and memory near the limit before the kill (or instead of it)', { timeout: 300_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const image = realNodeImages(cluster()).agent;
    const started = Date.now();
    const took = (what: string) => t.diagnostic(`${what}: ${Math.round((Date.now() - started) / 1000)} s after the Agents were created`);
    const secret = await cluster().kubectl(['create', 'secret', 'generic', 'talker-token', '-n', ns, `--from-literal=token=${TOKEN}`]);
    assert.equal(secret.code, 0, secret.stderr);

    await apply(cluster(), ns, { yaml: [
      // $(API_TOKEN) is expanded by the kubelet: the agent really prints the Secret's value.
      `${agentYaml('talker', image, {})}`.replace('  env: []', `  env:
    - { name: API_TOKEN, valueFrom: { secretKeyRef: { name: talker-token, key: token } } }
    - { name: AGENT_EXIT_CODE, value: "2" }
    - { name: AGENT_EXIT_AFTER, value: "1s" }
    - { name: AGENT_EXIT_MESSAGE, value: 'connecting to logs.example.internal with token $(API_TOKEN)\\nerror: output.host: no such host ''logs.example.internal''' }`),
      // No ports, so no probes: a probe answered late by a starved process would restart it and reset its counters.
      agentYaml('busy', image, { AGENT_BUSY_THREADS: '2' }, '  resources: { requests: { cpu: 10m }, limits: { cpu: 50m } }', false),
      // 0.5 MiB/s from 340 MiB: 90 % of 400Mi after ~30 s, the limit after ~110 s.
      agentYaml('leaky', image, { AGENT_ALLOC_MIB: '340', AGENT_GROW_MIB_PER_SEC: '0.5' }, '  resources: { requests: { memory: 64Mi }, limits: { memory: 400Mi } }\n  recovery: { oomKilled: { action: None } }'),
      // The same growth, stopping at 410 MiB: past the 400Mi limit, so killed unless the limit is raised first.
      agentYaml('plateau', image, { AGENT_ALLOC_MIB: '340', AGENT_GROW_MIB_PER_SEC: '0.5', AGENT_GROW_TO_MIB: '410' }, '  resources: { requests: { memory: 64Mi }, limits: { memory: 400Mi } }\n  recovery: { oomKilled: { action: IncreaseMemory, maxMemory: 800Mi, proactive: true } }'),
    ].join('\n---\n') });

    await Promise.all([
      (async () => {
        const agent = await eventually(async () => {
          const a = await getAgent(cluster(), ns, 'talker');
          assert.match(a.status?.lastFailure?.lastWords ?? '', /no such host/);
          return a;
        }, { timeoutMs: 120_000, message: 'talker\'s last words in status.lastFailure' });
        took('last words in status');
        assert.equal(agent.status?.lastFailure?.exitCode, 2);
        // Its stderr lines, in order (the kubelet may interleave its stdout log lines anywhere).
        assert.match(agent.status?.lastFailure?.lastWords ?? '', /with token <redacted Secret talker-token\/token>\nerror: output\.host: no such host 'logs\.example\.internal'(\n|$)/);
        const described = await cluster().kubectl(['describe', 'agent', 'talker', '-n', ns]);
        assert.match(described.stdout, /error: output\.host: no such host 'logs\.example\.internal'/, 'kubectl describe agent shows the agent\'s own error line');
      })(),
      (async () => {
        const agent = await waitForCondition(cluster(), ns, 'busy', 'CPUThrottled', 'True', { timeoutMs: 120_000 });
        took('CPUThrottled');
        const message = condition(agent, 'CPUThrottled')!.message;
        const m = /throttled in (\d+)% of its CFS periods over \d+s \((\d+) of (\d+)/.exec(message);
        assert.ok(m, message);
        // cAdvisor's own counters for the same container over a stretch of the same length.
        const share = await cadvisorThrottledShare('busy', 15_000);
        t.diagnostic(`operator: ${m[1]}% (${m[2]} of ${m[3]}); cAdvisor over 15 s: ${(share * 100).toFixed(1)}%`);
        assert.ok(Math.abs(Number(m[1]) - share * 100) <= 15, `the operator's ${m[1]}% against cAdvisor's ${(share * 100).toFixed(1)}%`);
        assert.ok(Number(m[1]) >= 50, 'a spinning agent under 50m is throttled in most periods');
      })(),
      (async () => {
        const agent = await waitForCondition(cluster(), ns, 'leaky', 'MemoryNearLimit', 'True', { timeoutMs: 150_000 });
        took('leaky: MemoryNearLimit');
        const warnedAt = condition(agent, 'MemoryNearLimit')!.lastTransitionTime;
        const killedAt = await eventually(() => [...kills].find(([pod]) => pod.startsWith('leaky-'))?.[1] ?? false, { timeoutMs: 120_000, message: 'the kernel OOM-kills leaky' });
        took('leaky: OOM-killed');
        t.diagnostic(`leaky warned at ${warnedAt}, killed at ${killedAt}`);
        assert.ok(new Date(warnedAt).getTime() < new Date(killedAt).getTime(), `warned (${warnedAt}) before the kill (${killedAt})`);
      })(),
      (async () => {
        const agent = await eventually(async () => {
          const a = await getAgent(cluster(), ns, 'plateau');
          assert.equal(a.status?.recovery?.memoryLimit, '500Mi');
          assert.equal(condition(a, 'Ready')?.status, 'True');
          return a;
        }, { timeoutMs: 180_000, message: 'plateau raised to 500Mi before a kill and Ready' });
        took('plateau: raised and Ready');
        const pods = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/instance=plateau' });
        const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
        assert.ok(live.some((p) => p.spec?.containers[0]?.resources?.limits?.['memory'] === '500Mi'));
        // It goes on growing to 410 MiB, past the old limit: the pods at 400Mi must be gone by then.
        await eventually(async () => {
          const now = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/instance=plateau' });
          return now.items.every((p) => p.spec?.containers[0]?.resources?.limits?.['memory'] === '500Mi');
        }, { timeoutMs: 60_000, message: 'only plateau pods at 500Mi left' });
        const events = await agentEvents(cluster(), ns, 'plateau');
        assert.ok(events.some((e) => e.reason === 'MemoryIncreased' && /before an OOM kill/.test(e.message ?? '')), 'the raise says it came first');
        assert.equal(agent.status?.lastFailure, undefined, 'no failure at all');
      })(),
    ]);

    assert.deepEqual([...kills.keys()].filter((p) => !p.startsWith('leaky-')), [], 'no pod but leaky\'s was ever OOM-killed');
    assert.equal(await op.counter('agent_operator_usage_warnings_total', { reason: 'CPUThrottled' }), 1);
    assert.ok(await op.counter('agent_operator_usage_warnings_total', { reason: 'MemoryNearLimit' }) >= 2);

    // The canary: nowhere in any Agent's status, in any event of the namespace, or in describe.
    const agents = await cluster().custom.listNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', plural: 'agents', namespace: ns }) as { items: Agent[] };
    assert.ok(!JSON.stringify(agents.items.map((a) => a.status)).includes(TOKEN), 'the token is in no status');
    const events = await cluster().core.listNamespacedEvent({ namespace: ns });
    const operatorEvents = events.items.filter((e) => e.involvedObject.kind === 'Agent');
    assert.ok(operatorEvents.some((e) => /no such host/.test(e.message ?? '')), 'the error line is in an event');
    assert.ok(!JSON.stringify(operatorEvents).includes(TOKEN), 'the token is in no event of the operator');
    const described = await cluster().kubectl(['describe', 'agent', '-n', ns]);
    assert.ok(!described.stdout.includes(TOKEN), 'nor in kubectl describe agent');
  });
});

/**
 * Throttled / runnable CFS periods of an Agent's container between two of
 * cAdvisor's own readings at least `ms` apart, found by its cgroup. The
 * kubelet's cAdvisor refreshes a container's stats every 10-15 s
 * (housekeeping), so the second reading is awaited until its timestamp moves.
 */
async function cadvisorThrottledShare(agent: string, ms: number): Promise<number> {
  const pods = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${agent}` });
  const id = pods.items.flatMap((p) => p.status?.containerStatuses ?? []).find((c) => c.state?.running)?.containerID?.replace(/^[a-z]+:\/\//, '');
  assert.ok(id, `a running container of ${agent}`);
  const read = async () => {
    const res = await cluster().kubectl(['get', '--raw', `/api/v1/nodes/${realNodeName}/proxy/metrics/cadvisor`]);
    const sample = (family: string) => {
      const line = res.stdout.split('\n').find((l) => l.startsWith(`${family}{`) && (l.includes(`${id}"`) || l.includes(`${id}.scope"`)));
      assert.ok(line, `${family} of container ${id}`);
      const [value, at] = line.slice(line.lastIndexOf('}') + 1).trim().split(/\s+/);
      return { value: Number(value), at: Number(at) };
    };
    const periods = sample('container_cpu_cfs_periods_total');
    return { periods: periods.value, throttled: sample('container_cpu_cfs_throttled_periods_total').value, at: periods.at };
  };
  const a = await read();
  const b = await eventually(async () => {
    const r = await read();
    return r.at - a.at >= ms ? r : false;
  }, { timeoutMs: ms + 30_000, intervalMs: 1000, message: `a cAdvisor reading ${ms} ms after the first` });
  return (b.throttled - a.throttled) / Math.max(1, b.periods - a.periods);
}

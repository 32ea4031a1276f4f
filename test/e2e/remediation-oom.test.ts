// OOMKilled end to end: an agent whose pods the
// kernel keeps killing gets more memory per OOM kill by the documented rule,
// max(+20%, +100Mi) rounded up to whole Mi, until recovery.oomKilled.maxMemory;
// kills at the cap follow the restart schedule (not one attempt per kernel
// kill, issue 17 defect 7), then onExhausted applies (Rollback with
// no healthy revision falls back to Hold: Stalled=True; with one, the last
// healthy revision runs). The raise lives in status and in the Deployment
// only: the spec, and so the generation, never change. When the kills stop,
// the Agent is Ready again; a new spec generation clears the override.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Agent } from '../../src/api/agent.ts';
import { agentEvents, condition, createAgent, getAgent, patchAgentSpec, waitReady } from '../support/agents.ts';
import { watchAll } from '../support/watch.ts';
import { useCluster } from '../support/cluster.ts';
import { faultInjector, type FaultInjector } from '../support/faults.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
const name = 'hungry';
/** The second Agent: healthy at v1 first, so there is a revision to roll back to. */
const grower = 'grower';
const agentsPath = (ns: string) => `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`;
let ns: string;

const spec = {
  image: 'registry.example/hungry:1.0',
  resources: { limits: { memory: '256Mi' } },
  recovery: {
    // Short steps so the file runs in well under a minute; healthyResetSeconds is the schema's minimum.
    // One attempt at the cap: the Agent's events then stay within the recorder's per-object budget
    // (25, src/kube/events.ts); with more, the transition events of the three raise rollouts use it
    // up and RecoveryExhausted itself is dropped.
    restart: { initialBackoffSeconds: 1, maxBackoffSeconds: 2, maxAttempts: 1, healthyResetSeconds: 10 },
    oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi' },
    // Rollback is asked for, but no revision has been healthy yet: the policy must Hold.
    onExhausted: 'Rollback',
  },
};

// The two Agents run at once (describe concurrency; their own pods, events and
// watches): the rollback case waits ~25 s for its revision to turn healthy and
// be used up, which overlaps the first case instead of following it (102 s -> ~70 s).
describe('an agent that is OOMKilled over and over', { concurrency: true }, () => {
  const injectors: FaultInjector[] = [];
  const seen = new Map<string, { memoryLimits: string[]; deploymentLimits: string[]; generations: Set<number> }>();
  const of = (agent: string) => {
    if (!seen.has(agent)) seen.set(agent, { memoryLimits: [], deploymentLimits: [], generations: new Set() });
    return seen.get(agent)!;
  };
  const watches: { stop(): void }[] = [];
  let rollback: { degraded: string; limit: string } | undefined;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'remediation-oom');
    await startOperator(cluster(), { namespaces: [ns] });
    // Watches, not polls: every value the operator writes is seen, however quickly the next follows.
    watches.push(watchAll<Agent>(cluster().kc, agentsPath(ns), (obj) => {
      of(obj.metadata.name).generations.add(obj.metadata.generation ?? 0);
      pushChanged(of(obj.metadata.name).memoryLimits, obj.status?.recovery?.memoryLimit);
    }));
    watches.push(watchAll<V1Deployment>(cluster().kc, `/apis/apps/v1/namespaces/${ns}/deployments`, (d) => {
      pushChanged(of(d.metadata!.name!).deploymentLimits, d.spec?.template.spec?.containers[0]?.resources?.limits?.['memory'] as string | undefined);
    }));
    // The rollback case needs a revision that has been healthy for HEALTHY_AFTER_SECONDS (10 s here; src/status/compute.ts
    // healthyAfterSeconds): its v1 starts now and becomes healthy while the first case runs.
    await createAgent(cluster(), ns, grower, { ...spec, image: 'registry.example/grower:1.0' });
  });

  after(async () => {
    for (const w of watches) w.stop();
    for (const i of injectors) await i.stop({ clear: false });
  });

  it('raises the limit per OOM kill up to maxMemory, then holds with Stalled=True, and recovers when the kills stop', async () => {
    // Every pod of the Agent, including the ones each raise rolls out, is OOM-killed 1s after it starts.
    const injector = faultInjector(cluster().core, ns, `agent-operator.dev/agent=${name}`, 'OOMKilled', { delay: '1s', backoff: '2s' });
    injectors.push(injector);
    await createAgent(cluster(), ns, name, spec);

    // 256Mi -> 356Mi (+100Mi beats +20%) -> 456Mi -> 512Mi (547.2Mi capped at maxMemory).
    const stalled = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      const c = condition(a, 'Stalled');
      assert.equal(c?.status, 'True', `Stalled: ${JSON.stringify(c)}; recovery ${JSON.stringify(a.status?.recovery)}`);
      return a;
    }, { timeoutMs: 120_000, message: 'Stalled=True after the raises and the attempts at the cap' });

    assert.deepEqual(of(name).memoryLimits, ['356Mi', '456Mi', '512Mi'], 'status.recovery.memoryLimit took each step of the rule, once');
    assert.deepEqual(of(name).deploymentLimits, ['256Mi', '356Mi', '456Mi', '512Mi'], "the Deployment's container limit followed the override");
    const rec = stalled.status!.recovery!;
    assert.equal(rec.memoryLimit, '512Mi');
    assert.equal(rec.lastAction, 'Hold');
    assert.equal(rec.restartAttempts, 1, 'the one restart step at the cap was taken before onExhausted');
    assert.equal(rec.rolledBackTo, undefined, 'no healthy revision to roll back to');
    const st = condition(stalled, 'Stalled')!;
    assert.equal(st.reason, 'RecoveryExhausted');
    assert.match(st.message, /OOMKilled \(exit 137\) at limit 512Mi, which is recovery\.oomKilled\.maxMemory/);
    assert.match(st.message, /the operator holds: fix the cause and apply the spec/);
    const degraded = condition(stalled, 'Degraded')!;
    assert.equal(degraded.status, 'True');
    assert.match(degraded.message, /memory limit is 512Mi instead of the spec's 256Mi, raised against OOM kills \(recovery\.oomKilled, max 512Mi\)/);
    assert.equal(stalled.status?.lastFailure?.reason, 'OOMKilled');
    assert.equal(stalled.status?.lastFailure?.exitCode, 137);

    const events = await eventually(async () => {
      const list = await agentEvents(cluster(), ns, name);
      assert.ok(list.some((e) => e.reason === 'RecoveryExhausted'), 'a RecoveryExhausted event');
      return list;
    }, { message: 'the RecoveryExhausted event' });
    const raised = events.filter((e) => e.reason === 'MemoryIncreased').map((e) => /raised from (\S+) to (\S+) because/.exec(e.message ?? '')?.slice(1, 3));
    assert.deepEqual(raised, [['256Mi', '356Mi'], ['356Mi', '456Mi'], ['456Mi', '512Mi']], 'one MemoryIncreased event per raise');
    for (const e of events.filter((x) => x.reason === 'MemoryIncreased')) {
      assert.equal(e.type, 'Normal');
      assert.match(e.message!, /\(recovery\.oomKilled, max 512Mi\); the spec still says 256Mi: set resources\.limits\.memory to keep it/);
    }
    const atCap = events.filter((e) => e.reason === 'OOMKilled' && /at limit 512Mi/.test(e.message ?? ''));
    assert.ok(atCap.some((e) => /so restarts follow recovery\.restart and then onExhausted/.test(e.message!)), `OOM at the cap explained: ${atCap.map((e) => e.message).join(' | ')}`);
    assert.equal(events.filter((e) => e.reason === 'RestartedPod').length, 1, 'the schedule\'s one restart step at the cap, however many kills');
    const exhausted = events.find((e) => e.reason === 'RecoveryExhausted')!;
    assert.equal(exhausted.type, 'Warning');
    assert.match(exhausted.message!, /remediation is used up and no revision has been healthy yet to roll back to, so the operator holds/);
    assert.equal(events.filter((e) => e.reason === 'RolledBack').length, 0);

    // kubectl describe shows the diagnosis: the limit that was hit, what was done, and the fix.
    const described = await cluster().kubectl(['describe', 'agent', name, '-n', ns]);
    assert.equal(described.code, 0, described.stderr);
    const text = described.stdout.replace(/\s+/g, ' ');
    assert.match(text, /was OOMKilled \(exit 137\) at limit 512Mi, which is recovery\.oomKilled\.maxMemory.*: raise maxMemory or make the agent use less memory/);
    assert.match(text, /memory limit is 512Mi instead of the spec's 256Mi/);
    assert.match(text, /MemoryIncreased/);

    // The kills stop: the remaining pods recover, the Agent is Ready at the raised limit and the hold lifts after healthyResetSeconds.
    await injector.stop();
    const ready = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(condition(a, 'Ready')?.status, 'True', `Ready: ${JSON.stringify(condition(a, 'Ready'))}`);
      assert.equal(condition(a, 'Stalled')?.status, 'False', `Stalled: ${JSON.stringify(condition(a, 'Stalled'))}`);
      return a;
    }, { timeoutMs: 60_000, message: 'Ready=True and the hold lifted once the kills stopped' });
    assert.equal(ready.status?.recovery?.memoryLimit, '512Mi', 'the override stays until the spec changes');
    assert.notEqual(ready.status?.recovery?.lastAction, 'Hold');
    assert.equal(condition(ready, 'Degraded')?.reason, 'MemoryIncreased', 'Degraded keeps reporting the override');
    const d = await cluster().apps.readNamespacedDeployment({ name, namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0]?.resources?.limits?.['memory'], '512Mi');
    assert.equal(ready.status?.recovery?.restartAttempts, undefined, 'attempts reset after healthyResetSeconds');

    // The operator never wrote the spec.
    assert.deepEqual([...of(name).generations], [1]);
    assert.deepEqual(ready.spec.resources, spec.resources);
  });

  // These three follow one another: each reads what the one before left.
  describe(`${grower}, healthy at v1 first`, { concurrency: false }, () => {
  it('with a healthy revision to go back to, rolls back to it once the raises are used up', async () => {
    const v1 = await eventually(async () => {
      const a = await getAgent(cluster(), ns, grower);
      assert.ok(a.status?.revision && a.status.lastHealthyRevision === a.status.revision, `lastHealthyRevision ${a.status?.lastHealthyRevision} / revision ${a.status?.revision}`);
      return a.status.revision;
    }, { timeoutMs: 150_000, message: `${grower} v1 becomes lastHealthyRevision` });

    // v2 needs more memory than the cap allows: its pods (and only its pods, by their label) are OOM-killed.
    injectors.push(faultInjector(cluster().core, ns, `agent-operator.dev/agent=${grower},e2e-fault=oom`, 'OOMKilled', { delay: '1s', backoff: '2s' }));
    await patchAgentSpec(cluster(), ns, grower, { image: 'registry.example/grower:2.0', podTemplate: { labels: { 'e2e-fault': 'oom' } } });

    const rolledBack = await eventually(async () => {
      const a = await getAgent(cluster(), ns, grower);
      assert.equal(a.status?.recovery?.rolledBackTo, v1, JSON.stringify(a.status?.recovery));
      return a;
    }, { timeoutMs: 120_000, message: `${grower} rolled back to v1` });
    assert.deepEqual(of(grower).memoryLimits, ['356Mi', '456Mi', '512Mi'], 'v2 got every raise first');
    const rec = rolledBack.status!.recovery!;
    assert.equal(rec.lastAction, 'Rollback');
    assert.notEqual(rec.rolledBackFrom, v1);
    assert.equal(rolledBack.metadata.generation, 2, 'the spec is untouched');
    const d = await cluster().apps.readNamespacedDeployment({ name: grower, namespace: ns });
    const c = d.spec?.template.spec?.containers[0];
    assert.equal(c?.image, 'registry.example/grower:1.0', "v1's template runs");
    assert.equal(d.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], v1);
    const settled = await eventually(async () => {
      const a = await getAgent(cluster(), ns, grower);
      assert.equal(condition(a, 'Available')?.status, 'True');
      assert.equal(a.status?.availableReplicas, 1);
      assert.equal(a.status?.replicas, 1, 'the failing v2 pod is gone');
      assert.deepEqual([condition(a, 'Ready')?.status, condition(a, 'Ready')?.reason], ['False', 'RolledBack']);
      return a;
    }, { message: 'v1 serves again; Ready stays False while the spec as written does not run' });
    const degraded = condition(settled, 'Degraded')!;
    assert.deepEqual([degraded.status, degraded.reason], ['True', 'RolledBack']);
    assert.match(degraded.message, new RegExp(`running revision ${v1} \\(the last healthy\\) instead of ${rec.rolledBackFrom}, which kept failing: fix the spec and apply it to clear the rollback`));
    rollback = { degraded: degraded.message, limit: String(c?.resources?.limits?.['memory']) };
  });

  it('while rolled back, says the memory limit that actually runs', () => {
    assert.ok(rollback, 'the rollback case ran');
    const claimed = /memory limit is (\S+) instead of/.exec(rollback.degraded)?.[1];
    assert.ok(claimed === undefined || claimed === rollback.limit, `Degraded says "${rollback.degraded}", but the Deployment runs a memory limit of ${rollback.limit}`);
  });

  it('a new spec generation clears the rollback and the memory override, and runs the spec as written', async () => {
    assert.ok(rollback, 'the rollback case ran');
    await patchAgentSpec(cluster(), ns, grower, { image: 'registry.example/grower:3.0', podTemplate: null });
    const cleared = await waitReady(cluster(), ns, grower, 60_000);
    assert.equal(cleared.status?.observedGeneration, 3);
    assert.equal(cleared.status?.recovery?.memoryLimit, undefined);
    assert.equal(cleared.status?.recovery?.rolledBackTo, undefined);
    assert.equal(condition(cleared, 'Degraded')?.status, 'False');
    const d3 = await cluster().apps.readNamespacedDeployment({ name: grower, namespace: ns });
    assert.equal(d3.spec?.template.spec?.containers[0]?.image, 'registry.example/grower:3.0');
    assert.equal(d3.spec?.template.spec?.containers[0]?.resources?.limits?.['memory'], '256Mi', "the spec's limit again");
  });
  });
});

function pushChanged(list: string[], value: string | undefined): void {
  if (value !== undefined && list.at(-1) !== value) list.push(value);
}

// A bad new revision end to end (issue 4, second "Done when"): v1 runs
// healthy long enough to become lastHealthyRevision; v2's pods crash-loop. The
// operator restarts them on its backoff schedule (2 s, 4 s, 8 s asked, each
// lifted to the 10 s floor; each step one pod deletion), and when the attempts are used up it rolls back to
// v1 while the spec keeps saying v2: Degraded=True says what runs and how to
// clear it. A new spec generation clears the rollback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../../src/api/agent.ts';
import type { RecoveryStatus } from '../../src/api/status.ts';
import { agentEvents, condition, getAgent, patchAgentSpec } from '../support/agents.ts';
import { auditUnavailable, auditWrites } from '../support/audit.ts';
import { watchAll } from '../support/watch.ts';
import { useCluster } from '../support/cluster.ts';
import { faultInjector, type FaultInjector } from '../support/faults.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
const name = 'crashy';
let ns: string;

const backoff = { initialBackoffSeconds: 2, maxBackoffSeconds: 8, maxAttempts: 3, healthyResetSeconds: 10 };
/** The waits the policy promises: before restart 1, 2, 3, and before the rollback (initial x 2^n, capped, never below the 10 s floor of src/recovery/limits.ts). */
const schedule = [10, 10, 10, 10];
/**
 * How late a step may come: nextRestartNotBefore is rounded up to whole
 * seconds (< 1 s), a step needs the container waiting in its back-off (kwok
 * runs it 1 s between 3 s back-offs), and a reconcile takes a moment.
 */
const lateBy = 3;

interface Seen { at: number; generation: number; recovery: RecoveryStatus | undefined }

describe('a new revision that crash-loops', () => {
  let injector: FaultInjector | undefined;
  const seen: Seen[] = [];
  let watch: { stop(): void } | undefined;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'remediation-crashloop');
    await startOperator(cluster(), { namespaces: [ns] });
    watch = watchAll<Agent>(cluster().kc, `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, (a) => {
      if (a.metadata.name === name) seen.push({ at: Date.now(), generation: a.metadata.generation ?? 0, recovery: a.status?.recovery });
    });
  });

  after(async () => {
    watch?.stop();
    await injector?.stop({ clear: false });
  });

  it('is restarted on the backoff schedule, then rolled back to the last healthy revision until a new spec clears it', async () => {
    const started = new Date();
    await cluster().custom.createNamespacedCustomObject({
      group: 'agent-operator.dev', version: 'v1alpha1', namespace: ns, plural: 'agents',
      body: { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { image: 'registry.example/crashy:1.0', recovery: { restart: backoff, onExhausted: 'Rollback' } } },
    });
    // A revision counts as healthy after 60 s ready without a failure (src/status/compute.ts healthyAfterSeconds).
    const v1 = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.ok(a.status?.revision && a.status.lastHealthyRevision === a.status.revision, `lastHealthyRevision ${a.status?.lastHealthyRevision} / revision ${a.status?.revision}`);
      return a.status.revision;
    }, { timeoutMs: 150_000, message: 'v1 becomes lastHealthyRevision' });

    // v2: a new image whose pods crash-loop. Its pods carry a label that v1's do not, so only they are made to fail.
    injector = faultInjector(cluster().core, ns, `agent-operator.dev/agent=${name},e2e-fault=crash`, 'CrashLoopBackOff', { delay: '1s', backoff: '3s' });
    const v2Spec = { image: 'registry.example/crashy:2.0', podTemplate: { labels: { 'e2e-fault': 'crash' } } };
    await patchAgentSpec(cluster(), ns, name, v2Spec);

    const rolledBack = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.recovery?.rolledBackTo, v1, `recovery ${JSON.stringify(a.status?.recovery)}`);
      assert.equal(condition(a, 'Degraded')?.reason, 'RolledBack');
      return a;
    }, { timeoutMs: 90_000, message: 'rolled back to v1' });
    const v2 = rolledBack.status!.revision!;
    assert.notEqual(v2, v1);

    // What runs is v1's template while the spec still asks for v2.
    assert.equal(rolledBack.metadata.generation, 2);
    assert.equal(rolledBack.spec.image, v2Spec.image);
    const d = await cluster().apps.readNamespacedDeployment({ name, namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0]?.image, 'registry.example/crashy:1.0');
    assert.equal(d.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], v1);
    assert.equal(rolledBack.status?.recovery?.rolledBackFrom, v2);
    const degraded = condition(rolledBack, 'Degraded')!;
    assert.equal(degraded.status, 'True');
    assert.match(degraded.message, new RegExp(`running revision ${v1} \\(.*the last healthy\\) instead of ${v2}, which kept failing`));
    assert.match(degraded.message, /fix the spec and apply it to clear the rollback/);
    const ready = condition(rolledBack, 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'RolledBack'], 'Ready: the spec as written does not run');
    await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.image, 'registry.example/crashy:1.0');
      assert.equal(condition(a, 'Available')?.status, 'True', 'v1 serves again');
    }, { message: 'v1 available again' });

    // The schedule, from the operator's record (the watch) and the apiserver's (the audit log).
    const episode = seen.filter((s) => s.generation === 2);
    const beforeRollback = episode.slice(0, episode.findIndex((s) => s.recovery?.rolledBackTo !== undefined));
    const attempts = dedupe(beforeRollback.map((s) => s.recovery?.restartAttempts ?? 0));
    assert.deepEqual(attempts, [0, 1, 2, 3], `restartAttempts went up one step at a time, never back (no step repeated or lost):\n${beforeRollback.map(describeRecovery).join('\n')}`);
    const firstStep = episode.find((s) => s.recovery?.nextRestartNotBefore !== undefined)!;

    const skip = auditUnavailable(cluster());
    if (skip) {
      console.log(`# skipping the timing of pod deletions: ${skip}`);
    } else {
      const deletes = (await auditWrites(cluster(), { userAgent: 'agent-operator/', resource: 'pods', verbs: ['delete'], namespace: ns, since: started, succeededOnly: true }))!;
      const rollbacks = (await auditWrites(cluster(), { userAgent: 'agent-operator/', resource: 'deployments', namespace: ns, since: new Date(firstStep.at) }))!;
      assert.equal(deletes.length, 3, `one pod deletion per step, maxAttempts of them: ${deletes.map((e) => `${e.objectRef?.name}@${e.requestReceivedTimestamp}`).join(', ')}`);
      assert.equal(new Set(deletes.map((e) => e.objectRef?.name)).size, 3, 'each step deleted a different pod');
      const times = [firstStep.at, ...deletes.map((e) => Date.parse(e.requestReceivedTimestamp)), Date.parse(rollbacks[0]!.requestReceivedTimestamp)];
      const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
      gaps.forEach((gap, i) => {
        assert.ok(gap >= schedule[i]! - 0.3 && gap <= schedule[i]! + lateBy, `step ${i + 1} came ${gap.toFixed(2)} s after the one before; the schedule says ${schedule[i]} s (+${lateBy} s): ${gaps.map((g) => g.toFixed(2)).join(', ')}`);
      });
    }

    // Events name each step (the ones the recorder's budget let through) and never a step not taken.
    const events = await agentEvents(cluster(), ns, name);
    const restarted = events.filter((e) => e.reason === 'RestartedPod');
    assert.ok(restarted.length >= 1 && restarted.length <= 3, `RestartedPod events: ${restarted.length}`);
    assert.match(restarted[0]!.message!, /^deleted pod \S+ so it is recreated fresh \(CrashLoopBackOff in container agent\): restart 1 of 3, next step not before /);

    // kubectl describe shows the diagnosis: what runs, why, and how to clear it.
    const described = await cluster().kubectl(['describe', 'agent', name, '-n', ns]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout.replace(/\s+/g, ' '), new RegExp(`running revision ${v1} .*instead of ${v2}, which kept failing: fix the spec and apply it to clear the rollback`));

    // A new spec generation clears the rollback and runs the spec as written.
    await injector.stop();
    await patchAgentSpec(cluster(), ns, name, { image: 'registry.example/crashy:3.0', podTemplate: null });
    const cleared = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(a.status?.observedGeneration, 3);
      assert.equal(condition(a, 'Ready')?.status, 'True', JSON.stringify(condition(a, 'Ready')));
      return a;
    }, { timeoutMs: 60_000, message: 'v3 Ready after the new spec' });
    assert.equal(cleared.status?.recovery?.rolledBackTo, undefined);
    assert.equal(cleared.status?.recovery?.rolledBackFrom, undefined);
    assert.equal(cleared.status?.recovery?.generation, 3);
    assert.equal(condition(cleared, 'Degraded')?.status, 'False');
    assert.equal(cleared.status?.image, 'registry.example/crashy:3.0');
    const d3 = await cluster().apps.readNamespacedDeployment({ name, namespace: ns });
    assert.equal(d3.spec?.template.spec?.containers[0]?.image, 'registry.example/crashy:3.0');
  });
});

function describeRecovery(s: Seen): string {
  const r = s.recovery ?? {};
  return `${new Date(s.at).toISOString()} attempts=${r.restartAttempts ?? 0} next=${r.nextRestartNotBefore ?? '-'} last=${r.lastAction ?? '-'}@${r.lastActionTime ?? '-'} healthySince=${r.healthySince ?? '-'}`;
}

function dedupe(values: number[]): number[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

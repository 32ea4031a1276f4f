// The operator killed in the middle of a restart schedule (the
// schedule lives in status, so a new process resumes it). A crash-looping
// agent is restarted on a 10 s / 10 s / 12 s schedule (3 s and 6 s asked,
// lifted to the 10 s floor) by four operator
// processes in turn, each killed with SIGKILL at a different point: while the
// first step is only scheduled, after a step with the next one still ahead,
// and with the next step falling due while no operator runs. Every step
// happens once, at its time, and the count ends at maxAttempts followed by Hold.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../../src/api/agent.ts';
import type { RecoveryStatus } from '../../src/api/status.ts';
import { agentEvents, condition, createAgent, describeRecovery, getAgent } from '../support/agents.ts';
import { auditUnavailable, auditWrites } from '../support/audit.ts';
import { watchAll } from '../support/watch.ts';
import { useCluster } from '../support/cluster.ts';
import { faultInjector, type FaultInjector } from '../support/faults.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
const name = 'phoenix';
let ns: string;

const restart = { initialBackoffSeconds: 3, maxBackoffSeconds: 12, maxAttempts: 3, healthyResetSeconds: 10 };
/** A step comes after its nextRestartNotBefore once the container waits in its back-off (kwok: 3 s waiting, 1 s running) and a reconcile ran. */
const lateBy = 2.5;

interface Seen { at: number; recovery: RecoveryStatus }

describe('the operator killed in the middle of a restart schedule', () => {
  let injector: FaultInjector | undefined;
  const seen: Seen[] = [];
  let watch: { stop(): void } | undefined;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'remediation-restart');
    watch = watchAll<Agent>(cluster().kc, `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, (a) => {
      if (a.metadata.name === name) seen.push({ at: Date.now(), recovery: a.status?.recovery ?? {} });
    });
  });

  after(async () => {
    watch?.stop();
    await injector?.stop({ clear: false });
  });

  it('neither repeats nor loses a step across SIGKILLs and restarts', async () => {
    const started = new Date();
    const operators: { op: RunningOperator; readyAt: number }[] = [];
    const next = async () => {
      const op = await startOperator(cluster(), { namespaces: [ns] });
      operators.push({ op, readyAt: Date.now() });
      return op;
    };
    const recovery = async () => (await getAgent(cluster(), ns, name)).status?.recovery ?? {};
    const until = (what: string, ok: (r: RecoveryStatus) => boolean, timeoutMs = 60_000) => eventually(async () => {
      const r = await recovery();
      assert.ok(ok(r), JSON.stringify(r));
      return r;
    }, { timeoutMs, message: what });

    injector = faultInjector(cluster().core, ns, `agent-operator.dev/agent=${name}`, 'CrashLoopBackOff', { delay: '1s', backoff: '3s' });
    let op = await next();
    await createAgent(cluster(), ns, name, { image: 'registry.example/phoenix:1.0', recovery: { restart, onExhausted: 'Hold' } });

    // Kill 1: the first step is scheduled, not taken. The next process keeps that time: it neither starts the wait over nor acts before it.
    const scheduled = await until('the first step scheduled', (r) => r.nextRestartNotBefore !== undefined && r.restartAttempts === undefined);
    await op.kill();
    op = await next();
    const first = await until('restart 1', (r) => r.restartAttempts === 1);

    // Kill 2: right after step 1, with step 2 ahead; the next process starts at once.
    await op.kill();
    op = await next();
    const second = await until('restart 2', (r) => r.restartAttempts === 2);

    // Kill 3: right after step 2; step 3 falls due while no operator runs, so the next process must take it on sight, once.
    await op.kill();
    const due = Date.parse(second.nextRestartNotBefore!);
    await eventually(() => Date.now() > due + 2000, { timeoutMs: 30_000, message: 'step 3 overdue with no operator running' });
    assert.equal((await recovery()).restartAttempts, 2, 'nothing acted while no operator ran');
    op = await next();
    const third = await until('restart 3', (r) => r.restartAttempts === 3);

    // Then the attempts are used up and onExhausted (Hold) applies at the following step.
    const held = await eventually(async () => {
      const a = await getAgent(cluster(), ns, name);
      assert.equal(condition(a, 'Stalled')?.status, 'True', JSON.stringify(a.status?.recovery));
      return a;
    }, { timeoutMs: 60_000, message: 'Stalled=True (Hold) after the third step' });
    assert.equal(held.status?.recovery?.lastAction, 'Hold');
    assert.equal(held.status?.recovery?.restartAttempts, 3);
    assert.equal(condition(held, 'Stalled')?.reason, 'RecoveryExhausted');

    // The operator's record: the count went 1, 2, 3, never back, and each step's time was kept across the kills.
    const attempts = dedupe(seen.map((s) => s.recovery.restartAttempts ?? 0));
    assert.deepEqual(attempts, [0, 1, 2, 3], `restartAttempts, as written:\n${seen.map(describeRecovery).join('\n')}`);
    const scheduledTimes = dedupe(seen.filter((s) => (s.recovery.restartAttempts ?? 0) === 0).map((s) => s.recovery.nextRestartNotBefore ?? ''))
      .filter((t) => t !== '');
    assert.deepEqual(scheduledTimes, [scheduled.nextRestartNotBefore], 'the new process kept the first step\'s time');
    assert.ok(Date.parse(first.lastActionTime!) >= Date.parse(scheduled.nextRestartNotBefore!), 'step 1 not before its time');
    assert.ok(Date.parse(second.lastActionTime!) >= Date.parse(first.nextRestartNotBefore!), 'step 2 not before its time');
    assert.ok(Date.parse(third.lastActionTime!) >= Date.parse(second.nextRestartNotBefore!), 'step 3 not before its time');

    // The apiserver's record: exactly three pod deletions, one per step, each at its time.
    const skip = auditUnavailable(cluster());
    if (skip) {
      console.log(`# skipping the count of pod deletions: ${skip}`);
    } else {
      const deletes = (await auditWrites(cluster(), { userAgent: 'agent-operator/', resource: 'pods', verbs: ['delete'], namespace: ns, since: started, succeededOnly: true }))!;
      const at = deletes.map((e) => Date.parse(e.requestReceivedTimestamp));
      assert.equal(deletes.length, 3, `one deletion per step: ${deletes.map((e) => `${e.objectRef?.name}@${e.requestReceivedTimestamp}`).join(', ')}`);
      assert.equal(new Set(deletes.map((e) => e.objectRef?.name)).size, 3);
      const dueTimes = [scheduled, first, second].map((r) => Date.parse(r.nextRestartNotBefore!));
      at.forEach((t, i) => {
        // A step that fell due while no operator ran is taken once the next process is up.
        const taker = operators.filter((o) => o.readyAt <= t + 1000).at(-1)!;
        const from = Math.max(dueTimes[i]!, taker.readyAt);
        const late = (t - from) / 1000;
        assert.ok(t >= dueTimes[i]! - 500, `deletion ${i + 1} came ${((dueTimes[i]! - t) / 1000).toFixed(2)} s before its nextRestartNotBefore`);
        assert.ok(late <= lateBy, `deletion ${i + 1} came ${late.toFixed(2)} s after it was due and an operator ran (allowed ${lateBy} s); operators ready at ${operators.map((o) => new Date(o.readyAt).toISOString()).join(', ')}; status:\n${seen.map(describeRecovery).join('\n')}`);
      });
    }

    // Events: no step announced twice (the recorder's budget may drop some, never add one).
    const restarted = (await agentEvents(cluster(), ns, name)).filter((e) => e.reason === 'RestartedPod');
    const steps = restarted.map((e) => /restart (\d) of 3/.exec(e.message ?? '')?.[1]);
    assert.equal(new Set(steps).size, steps.length, `each step announced once: ${steps.join(',')}`);
    assert.ok(restarted.every((e) => (e.count ?? 1) === 1), 'no RestartedPod event repeated');
    assert.equal(operators.length, 4);
  });
});

function dedupe<T>(values: T[]): T[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

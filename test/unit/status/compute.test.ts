import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentStatus } from '../../../src/api/status.ts';
import { computeStatus, readyRule, type StatusInput } from '../../../src/status/compute.ts';
import { refinementEvent } from '../../../src/status/last-failure.ts';
import { statusChanged } from '../../../src/status/transitions.ts';
import { pod } from '../health/pod-fixtures.ts';
import { crash, deployment, iso, statusInput, t0 } from './fixtures.ts';

/** type -> "status reason" for a compact table. */
const summary = (s: AgentStatus): Record<string, string> =>
  Object.fromEntries((s.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));
const message = (s: AgentStatus, type: string): string => s.conditions!.find((c) => c.type === type)!.message;

describe('computeStatus', () => {
  const cases: { name: string; input: Partial<StatusInput>; phase: string; conditions: Record<string, string> }[] = [
    {
      name: 'all replicas of the current revision ready: Ready, Running',
      input: {}, phase: 'Running',
      conditions: {
        Ready: 'True Ready', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False Reconciled', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'one failing pod out of three: Available, Degraded naming the pod, not Ready',
      input: { workload: deployment({ ready: 2 }), failures: [crash('agent-b')] }, phase: 'Degraded',
      conditions: {
        Ready: 'False CrashLoopBackOff', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'True CrashLoopBackOff',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False Reconciled', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'a rollout within its deadline: Progressing and Reconciling',
      input: { workload: deployment({ updated: 1, ready: 3, progressing: 'ReplicaSetUpdated' }) }, phase: 'Progressing',
      conditions: {
        Ready: 'False RolloutInProgress', Available: 'True Available', Progressing: 'True RolloutInProgress', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'True RolloutInProgress', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'a Deployment that has not seen its new generation yet is still reconciling',
      input: { workload: deployment({ observed: false }) }, phase: 'Progressing',
      conditions: {
        Ready: 'False RolloutInProgress', Available: 'True Available', Progressing: 'True RolloutInProgress', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'True RolloutInProgress', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'a rollout past its deadline: Stalled, Failed',
      input: { workload: deployment({ updated: 1, ready: 2, progressing: 'ProgressDeadlineExceeded' }) }, phase: 'Failed',
      conditions: {
        Ready: 'False ProgressDeadlineExceeded', Available: 'True Available', Progressing: 'False ProgressDeadlineExceeded', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False ProgressDeadlineExceeded', Stalled: 'True ProgressDeadlineExceeded',
      },
    },
    {
      name: 'a missing Secret holds the rollout while the old revision keeps running',
      input: { workload: deployment({ revision: 'rev1' }), missingReferences: [{ kind: 'Secret', name: 'agent-creds', key: 'token' }] }, phase: 'Progressing',
      conditions: {
        Ready: 'False SecretNotFound', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'True SecretNotFound', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'waiting for a dependency before any pod: Pending',
      input: { workload: undefined, dependencies: { state: 'Waiting', waits: [{ kind: 'Agent', name: 'db', state: 'NotReady' }] } }, phase: 'Pending',
      conditions: {
        Ready: 'False DependencyNotReady', Available: 'False DependencyNotReady', Progressing: 'False DependencyNotReady', Degraded: 'False Healthy',
        DependenciesReady: 'False DependencyNotReady', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'True DependencyNotReady', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'a dependency cycle: Stalled, Failed',
      input: { workload: undefined, dependencies: { state: 'Cycle', cycle: ['a', 'b'] } }, phase: 'Failed',
      conditions: {
        Ready: 'False DependencyCycle', Available: 'False DependencyCycle', Progressing: 'False DependencyCycle', Degraded: 'False Healthy',
        DependenciesReady: 'False DependencyCycle', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False DependencyCycle', Stalled: 'True DependencyCycle',
      },
    },
    {
      name: 'an invalid config layer: Stalled',
      input: { configErrors: [{ layer: 0, problem: 'a list' }] }, phase: 'Failed',
      conditions: {
        Ready: 'False InvalidConfig', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False InvalidConfig', Stalled: 'True InvalidConfig',
      },
    },
    {
      name: 'a rollback in force: Degraded, not Ready, though everything running is ready',
      input: {
        workload: deployment({ revision: 'rev1', image: 'registry.example/agent:v1' }),
        decision: { action: { type: 'None' }, recovery: { generation: 2, lastAction: 'Rollback', rolledBackFrom: 'rev2', rolledBackTo: 'rev1' }, fresh: [] },
      },
      phase: 'Degraded',
      conditions: {
        Ready: 'False RolledBack', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'True RolledBack',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False Reconciled', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'a memory override in force: Ready, and Degraded says so',
      input: { decision: { action: { type: 'None' }, recovery: { generation: 2, memoryLimit: '356Mi' }, fresh: [] } }, phase: 'Degraded',
      conditions: {
        Ready: 'True Ready', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'True MemoryIncreased',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False Reconciled', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'the operator holds: Stalled, Failed',
      input: {
        workload: deployment({ ready: 2 }), failures: [crash('agent-b')],
        decision: { action: { type: 'Hold' }, recovery: { generation: 2, lastAction: 'Hold', restartAttempts: 3 }, fresh: [] },
      },
      phase: 'Failed',
      conditions: {
        Ready: 'False CrashLoopBackOff', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'True CrashLoopBackOff',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False RecoveryExhausted', Stalled: 'True RecoveryExhausted',
      },
    },
    {
      name: 'Unmanaged: reports what it sees, reconciles nothing',
      input: { unmanaged: true, probesMissing: true }, phase: 'Unmanaged',
      conditions: {
        Ready: 'True Ready', Available: 'True Available', Progressing: 'False RolloutComplete', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'False ProbesMissing', Reconciling: 'False Unmanaged', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'scaled to zero: Ready, nothing runs by request',
      input: { desiredReplicas: 0, workload: deployment({ replicas: 0 }) }, phase: 'Running',
      conditions: {
        Ready: 'True ScaledToZero', Available: 'True ScaledToZero', Progressing: 'False RolloutComplete', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False Reconciled', Stalled: 'False Reconciled',
      },
    },
    {
      name: 'too few available replicas: not Available',
      input: { workload: deployment({ ready: 0 }), minAvailable: 2 }, phase: 'Pending',
      conditions: {
        Ready: 'False Unavailable', Available: 'False Unavailable', Progressing: 'False RolloutComplete', Degraded: 'False Healthy',
        DependenciesReady: 'True NoDependencies', ProbesConfigured: 'True ProbesConfigured', Reconciling: 'False Reconciled', Stalled: 'False Reconciled',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = computeStatus(statusInput(c.input));
      assert.deepEqual(summary(s), c.conditions);
      assert.equal(s.phase, c.phase);
      for (const cond of s.conditions!) assert.equal(cond.observedGeneration, 2, `${cond.type} carries observedGeneration`);
    });
  }

  it('names the failing pod in Degraded, and counts 2/3 ready', () => {
    const s = computeStatus(statusInput({ workload: deployment({ ready: 2 }), failures: [crash('agent-b')] }));
    assert.equal(message(s, 'Degraded'), 'container agent of pod agent-b keeps exiting (last exit code 1, 3 restarts) and the kubelet is backing off: read why with kubectl logs agent-b -c agent --previous');
    assert.equal(message(s, 'Ready'), `2/3 replicas ready at revision rev2: ${message(s, 'Degraded')}`);
    assert.equal(s.readyText, '2/3');
  });

  it('says during a rollback what runs, what failed and how to clear it, and shows the image running', () => {
    const s = computeStatus(statusInput({
      workload: deployment({ revision: 'rev1', image: 'registry.example/agent:v1' }),
      decision: { action: { type: 'None' }, recovery: { generation: 2, rolledBackFrom: 'rev2', rolledBackTo: 'rev1', memoryLimit: '356Mi' }, fresh: [] },
    }));
    assert.equal(message(s, 'Degraded'), "running revision rev1 (the last healthy) instead of rev2, which kept failing: fix the spec and apply it to clear the rollback; memory limit is 356Mi instead of the spec's 256Mi, raised against OOM kills (recovery.oomKilled, max 512Mi): set resources.limits.memory to 356Mi or more to keep it; any spec change clears the override");
    assert.equal(s.image, 'registry.example/agent:v1');
    assert.equal(s.revision, 'rev2', 'revision stays the one the spec asks for');
  });

  it('says the workload is being created while there is none yet, naming its kind', () => {
    assert.equal(message(computeStatus(statusInput({ workload: undefined })), 'Progressing'), 'creating the Deployment');
    assert.equal(message(computeStatus(statusInput({ workload: undefined, workloadKind: 'StatefulSet' })), 'Progressing'), 'creating the StatefulSet');
  });

  it('says which revision runs while a missing Secret holds the new one back', () => {
    const s = computeStatus(statusInput({ workload: deployment({ revision: 'rev1' }), missingReferences: [{ kind: 'Secret', name: 'agent-creds', key: 'token' }] }));
    assert.equal(message(s, 'Progressing'), 'revision rev1 rolled out');
    assert.equal(message(s, 'Ready'), 'Secret agent-creds has no key token: add the key or fix the reference; the rollout is held until then and what runs keeps running');
  });

  it('is not Ready while the Deployment still carries another revision', () => {
    const s = computeStatus(statusInput({ workload: deployment({ revision: 'rev1' }) }));
    assert.equal(summary(s).Ready, 'False RolloutInProgress');
  });

  it('names the revision being rolled out, not the one the Deployment still runs', () => {
    const s = computeStatus(statusInput({ workload: deployment({ revision: 'rev1' }) }));
    assert.equal(message(s, 'Ready'), 'rolling out revision rev2: the Deployment still runs revision rev1');
    const rolling = computeStatus(statusInput({ workload: deployment({ updated: 1, progressing: 'ReplicaSetUpdated' }) }));
    assert.equal(message(rolling, 'Ready'), 'rolling out revision rev2: 1/3 updated, 3/3 available');
    const nodeAgent = computeStatus(statusInput({
      workloadKind: 'DaemonSet',
      workload: { kind: 'DaemonSet', metadata: { name: 'agent', generation: 1 }, spec: { selector: {}, template: { metadata: { annotations: { 'agent-operator.dev/revision': 'rev1' } } } }, status: { observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberMisscheduled: 0, updatedNumberScheduled: 3, numberAvailable: 3 } },
    }));
    assert.equal(message(nodeAgent, 'Ready'), 'rolling out revision rev2: the DaemonSet still runs revision rev1', 'the workload named is the one that runs');
  });

  it('counts ready replicas at the revision from its own pods: an old pod that serves is not the new revision ready', () => {
    const pods = [pod('old').revision('rev1').build(), pod('new').revision('rev2').crashLooping().build()];
    const s = computeStatus(statusInput({ desiredReplicas: 1, workload: deployment({ replicas: 2, ready: 1, updated: 1, available: 1, progressing: 'ReplicaSetUpdated' }), pods, failures: [crash('new')] }));
    assert.match(message(s, 'Ready'), /^0\/1 replicas ready at revision rev2 \(1 ready at an older revision\)/);
  });

  it('sums restarts over the pods', () => {
    const pods = [pod('a').crashLooping({ restartCount: 4 }).build(), pod('b').build(), pod('c').oomKilled({ restartCount: 2 }).build()];
    assert.equal(computeStatus(statusInput({ pods })).restarts, 6);
  });

  it('records the running revision as healthy only after it has been healthy for a while', () => {
    const healthySince = (s: number) => ({ action: { type: 'None' as const }, recovery: { generation: 2, healthySince: iso(s) }, fresh: [] });
    const previous = { lastHealthyRevision: 'rev1' };
    assert.equal(computeStatus(statusInput({ previous, decision: healthySince(-59) })).lastHealthyRevision, 'rev1');
    assert.equal(computeStatus(statusInput({ previous, decision: healthySince(-60) })).lastHealthyRevision, 'rev2');
    assert.equal(computeStatus(statusInput({ previous, decision: healthySince(-600), failures: [crash('b')] })).lastHealthyRevision, 'rev1');
  });

  it('does not record a revision as healthy across a crash the operator did not see', () => {
    const restarted = pod('a').build();
    restarted.status!.containerStatuses![0]!.state = { running: { startedAt: new Date(t0 - 30_000) } };
    const decision = { action: { type: 'None' as const }, recovery: { generation: 2, healthySince: iso(-600) }, fresh: [] };
    const previous = { lastHealthyRevision: 'rev1' };
    assert.equal(computeStatus(statusInput({ previous, decision, pods: [restarted] })).lastHealthyRevision, 'rev1', 'up only 30 s by the pod');
    assert.equal(computeStatus(statusInput({ previous, decision, pods: [pod('a').build()] })).lastHealthyRevision, 'rev2');
  });

  it('writes nothing when recomputed from its own output', () => {
    const first = computeStatus(statusInput({ workload: deployment({ revision: 'rev1' }), missingReferences: [{ kind: 'Secret', name: 'agent-creds' }] }));
    const later = computeStatus(statusInput({ now: new Date(t0 + 60_000), previous: JSON.parse(JSON.stringify(first)), workload: deployment({ revision: 'rev1' }), missingReferences: [{ kind: 'Secret', name: 'agent-creds' }] }));
    assert.equal(statusChanged(first, later), false);
    assert.deepEqual(later.lastFailure, { reason: 'SecretNotFound', message: first.lastFailure!.message, time: iso(0), count: 1 });
  });

  it('keeps lastTransitionTime while a condition holds and moves it when it flips', () => {
    const first = computeStatus(statusInput());
    const later = computeStatus(statusInput({ now: new Date(t0 + 60_000), previous: first, workload: deployment({ ready: 2 }), failures: [crash('b')] }));
    const ltt = (s: AgentStatus, t: string) => s.conditions!.find((c) => c.type === t)!.lastTransitionTime;
    assert.equal(ltt(later, 'Available'), iso(0));
    assert.equal(ltt(later, 'Ready'), iso(60));
    assert.equal(ltt(later, 'Degraded'), iso(60));
  });

  it('counts failures of one reason within a generation in lastFailure, and starts again with a new one', () => {
    const fresh = (n: number) => ({ action: { type: 'None' as const }, recovery: { generation: 2 }, fresh: [crash('b', { key: `k${n}`, restartCount: n })] });
    const one = computeStatus(statusInput({ decision: fresh(1) }));
    const two = computeStatus(statusInput({ previous: one, decision: fresh(2) }));
    assert.deepEqual({ ...two.lastFailure, message: '' }, { reason: 'CrashLoopBackOff', message: '', pod: 'b', container: 'agent', exitCode: 1, time: iso(-10), count: 2 });
    const quiet = computeStatus(statusInput({ previous: two }));
    assert.deepEqual(quiet.lastFailure, two.lastFailure, 'no new failure: the last one stays');
    const next = computeStatus(statusInput({ previous: two, generation: 3, decision: { ...fresh(3), recovery: { generation: 3 } } }));
    assert.equal(next.lastFailure!.count, 1);
  });

  it('renames a death counted as a crash to a liveness kill when the kubelet\'s Killing event is read a reconcile later, without counting it again', () => {
    // The kubelet writes the Killing event and the pod status separately; under
    // load the status can arrive first, and the death is counted as a crash.
    const death = crash('b', { key: 'CrashLoopBackOff/uid-b/agent/c1', exitCode: 0, containerState: 'running', active: false, instance: 0 });
    const asCrash = computeStatus(statusInput({ failures: [death], decision: { action: { type: 'None' }, recovery: { generation: 2 }, fresh: [death] } }));
    assert.equal(asCrash.lastFailure!.reason, 'CrashLoopBackOff');
    const killed = { ...death, reason: 'LivenessProbeFailure' as const, message: 'killed by the kubelet for a failing liveness probe, then Completed (exit code 0)' };
    const later = computeStatus(statusInput({ previous: asCrash, failures: [killed] }));
    assert.equal(later.lastFailure!.reason, 'LivenessProbeFailure');
    assert.match(later.lastFailure!.message, /liveness/);
    assert.deepEqual({ ...later.lastFailure, reason: '', message: '' }, { ...asCrash.lastFailure, reason: '', message: '' }, 'the same occurrence: pod, time, exit code and count kept');
    const other = { ...killed, pod: 'c', podUid: 'uid-c', key: 'CrashLoopBackOff/uid-c/agent/c1' };
    assert.deepEqual(computeStatus(statusInput({ previous: asCrash, failures: [other] })).lastFailure, asCrash.lastFailure, 'another pod\'s kill does not rename this death');
    // The CrashLoopBackOff Warning is already written; a second one corrects it in kubectl describe.
    const e = refinementEvent(asCrash.lastFailure, later.lastFailure);
    assert.equal(e?.type, 'Warning');
    assert.equal(e?.reason, 'LivenessProbeFailure');
    assert.match(e?.message ?? '', /^the death reported as CrashLoopBackOff \(pod b, .*\) was a liveness kill: .*liveness/);
    assert.equal(refinementEvent(later.lastFailure, later.lastFailure), undefined, 'said once: the next reconcile sees the renamed failure');
    assert.equal(refinementEvent(asCrash.lastFailure, { ...later.lastFailure!, pod: 'c' }), undefined, 'only the same death');
  });

  it('describes the OOM kill that raised the limit with the raise', () => {
    const oom = { ...crash('b'), reason: 'OOMKilled' as const, exitCode: 137, memoryLimit: '256Mi' };
    const s = computeStatus(statusInput({
      failures: [oom], workload: deployment({ ready: 2 }),
      decision: { action: { type: 'IncreaseMemory', from: '256Mi', to: '356Mi' }, recovery: { generation: 2, memoryLimit: '356Mi' }, fresh: [oom] },
    }));
    assert.equal(s.lastFailure!.message, 'container agent of pod b was OOMKilled (exit 137) at limit 256Mi; raised to 356Mi (recovery.oomKilled, max 512Mi)');
    assert.equal(summary(s).Degraded, 'True OOMKilled');
  });

  it('writes the Ready rule down in words', () => {
    assert.match(readyRule, /^Ready is True when all of these hold/);
  });
});

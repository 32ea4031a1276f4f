import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { AgentStatus } from '../../../src/api/status.ts';
import { detect } from '../../../src/health/detect.ts';
import { readySince } from '../../../src/health/ready-since.ts';
import type { Decision } from '../../../src/recovery/decision.ts';
import { decide } from '../../../src/recovery/policy.ts';
import { computeStatus } from '../../../src/status/compute.ts';
import { readRollout, revisionFailing, rolloutHealthy } from '../../../src/status/rollout.ts';
import { statusChanged, transitionEvents } from '../../../src/status/transitions.ts';
import { pod, t0 } from '../health/pod-fixtures.ts';
import { deployment, policy } from '../status/fixtures.ts';

// The pure parts wired the way the reconciler wires them: detect -> decide ->
// computeStatus, with the status fed back in. Checks that they fit together.

interface World { generation: number; revision: string; deployment: V1Deployment; pods: V1Pod[] }

class Reconciler {
  status: AgentStatus | undefined;
  writes = 0;
  readonly events: string[] = [];

  run(seconds: number, w: World): Decision {
    const now = new Date(t0 + seconds * 1000);
    const failures = detect({ pods: w.pods, now, readiness: { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 0 } }).failures;
    const rollout = readRollout(w.deployment, 3);
    const decision = decide({
      policy, generation: w.generation, previous: this.status?.recovery, failures, now, healthy: rolloutHealthy(rollout, 3), unmanaged: false,
      specMemoryLimit: '256Mi', revision: w.revision, lastHealthyRevision: this.status?.lastHealthyRevision,
      rolloutInProgress: rollout.inProgress && !revisionFailing(w.pods, rollout.revision, failures),
    });
    const next = computeStatus({
      now, generation: w.generation, previous: this.status, workload: w.deployment, pods: w.pods, desiredReplicas: 3, revision: w.revision,
      selector: 's', failures, decision, policy, specMemoryLimit: '256Mi', dependencies: { state: 'None' }, missingReferences: [],
      configErrors: [], invalidSpec: [], probesMissing: false, unmanaged: false, read: { rollout, readySince: readySince(w.pods) },
    });
    for (const e of [...decision.events, ...transitionEvents(this.status, next)]) this.events.push(`${seconds} ${e.type} ${e.reason}`);
    if (statusChanged(this.status, next)) this.writes++;
    this.status = JSON.parse(JSON.stringify(next));
    return decision;
  }
}

const cond = (s: AgentStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);
const healthyPods = (revision: string) => ['a', 'b', 'c'].map((n) => pod(`${revision}-${n}`).revision(revision).build());

describe('detect -> decide -> status', () => {
  it('one failing pod out of three: Available, Degraded naming it, one event, a restart on schedule', () => {
    const r = new Reconciler();
    const w: World = { generation: 1, revision: 'rev2', deployment: deployment({ ready: 2 }), pods: [pod('a').revision('rev2').build(), pod('b').revision('rev2').build(), pod('c').revision('rev2').crashLooping().build()] };
    assert.equal(r.run(0, w).action.type, 'None');
    assert.equal(cond(r.status, 'Available')?.status, 'True');
    assert.equal(cond(r.status, 'Degraded')?.status, 'True');
    assert.match(cond(r.status, 'Degraded')!.message, /pod c keeps exiting/);
    assert.equal(cond(r.status, 'Ready')?.status, 'False');
    assert.equal(r.status!.lastFailure?.pod, 'c');
    r.run(5, w);
    assert.deepEqual(r.events, ['0 Warning CrashLoopBackOff', '0 Warning CrashLoopBackOff'], 'the failure, and Ready=False because of it; nothing more on a re-read');
    assert.deepEqual(r.run(10, w).action, { type: 'RestartPod', pod: 'c', podUid: 'uid-c' });
  });

  it('a new revision that crashes at start is rolled back at the first step, with the old pods serving throughout', () => {
    const r = new Reconciler();
    const v1: World = { generation: 1, revision: 'rev1', deployment: deployment({ revision: 'rev1' }), pods: healthyPods('rev1') };
    r.run(0, v1);
    r.run(60, v1);
    assert.equal(r.status!.lastHealthyRevision, 'rev1');
    const writesWhenConverged = r.writes;
    r.run(120, v1);
    assert.equal(r.writes, writesWhenConverged, 'a converged Agent writes nothing');

    // RollingUpdate, maxUnavailable 0: one surge pod of rev2; it never becomes
    // available (minReadySeconds), so the Deployment keeps rev1's three pods.
    // The kubelet's record of it: exit 1 at start, then the back-off.
    const rolling = (newPod: V1Pod): World => ({
      generation: 2, revision: 'rev2', deployment: deployment({ revision: 'rev2', replicas: 4, updated: 1, ready: 3, available: 3, progressing: 'ReplicaSetUpdated' }),
      pods: [...healthyPods('rev1'), newPod],
    });
    const timeline: [number, V1Pod][] = [
      [200, pod('rev2-a').revision('rev2').exited({ restartCount: 0, containerID: 'containerd://aaa111' }).build()],
      [205, pod('rev2-a').revision('rev2').crashLooping({ restartCount: 0, containerID: 'containerd://aaa111' }).build()],
    ];
    const actions = timeline.map(([s, p]) => r.run(s, rolling(p)).action.type);
    assert.deepEqual(actions, ['None', 'None'], 'the kubelet gets its first retry');
    const step = Date.parse(r.status!.recovery!.nextRestartNotBefore!) / 1000 - t0 / 1000;
    assert.equal(step, 210, 'the first step, initialBackoffSeconds after the first crash, not the progress deadline');
    const back = r.run(210, rolling(pod('rev2-a').revision('rev2').crashLooping({ restartCount: 0, containerID: 'containerd://aaa111' }).build()));
    assert.deepEqual(back.action, { type: 'Rollback', from: 'rev2', to: 'rev1' });
    assert.ok(!r.events.some((e) => e.endsWith('RestartedPod')), 'no pod of the failed release was deleted');
    assert.equal(cond(r.status, 'Available')?.status, 'True', 'rev1 served all along');
    assert.equal(cond(r.status, 'Degraded')!.reason, 'RolledBack');
    assert.equal(cond(r.status, 'Ready')!.reason, 'RolledBack');
    assert.equal(r.status!.phase, 'Degraded');
    assert.match(cond(r.status, 'Degraded')!.message, /running revision rev1 \(the last healthy\) instead of rev2/);

    const fixed: World = { generation: 3, revision: 'rev3', deployment: deployment({ revision: 'rev3', updated: 1, progressing: 'ReplicaSetUpdated' }), pods: healthyPods('rev1') };
    r.run(1000, fixed);
    assert.equal(r.status!.recovery!.rolledBackTo, undefined);
    assert.ok(r.events.includes('1000 Normal RecoveryCleared'));
    r.run(1100, { ...fixed, deployment: deployment({ revision: 'rev3' }), pods: healthyPods('rev3') });
    assert.equal(cond(r.status, 'Ready')!.status, 'True');
    assert.equal(cond(r.status, 'Degraded')!.status, 'False');
  });

  it('a revision that has proven itself and then crash-loops is restarted on the schedule, then held', () => {
    const r = new Reconciler();
    const v2: World = { generation: 1, revision: 'rev2', deployment: deployment({ revision: 'rev2' }), pods: healthyPods('rev2') };
    r.run(0, v2);
    r.run(60, v2);
    assert.equal(r.status!.lastHealthyRevision, 'rev2');
    const failing: World = { ...v2, deployment: deployment({ revision: 'rev2', ready: 2 }), pods: [...healthyPods('rev2').slice(0, 2), pod('rev2-c').revision('rev2').crashLooping().build()] };
    const actions = [100, 110, 130, 170, 250].map((s) => r.run(s, failing).action.type);
    assert.deepEqual(actions, ['None', 'RestartPod', 'RestartPod', 'RestartPod', 'Hold']);
  });

  it('a crash loop as the kubelet reports it keeps Degraded True through its running moments: no Healthy event per cycle', () => {
    const r = new Reconciler();
    const base = (c: V1Pod, ready: number): World => ({ generation: 1, revision: 'rev1', deployment: deployment({ revision: 'rev1', ready }), pods: [...healthyPods('rev1').slice(0, 2), c] });
    r.run(-200, base(pod('rev1-c').revision('rev1').build(), 3));
    r.run(-130, base(pod('rev1-c').revision('rev1').build(), 3));
    const c = pod('rev1-c').revision('rev1');
    // exit, back-off, a few seconds up and Ready, exit again...: the cycle a
    // real kubelet shows (fixture times are relative to t0, as the runs are).
    const cycle: [number, V1Pod, number][] = [
      [-9, c.exited({ restartCount: 0 }).build(), 2],
      [-5, c.crashLooping({ restartCount: 0 }).build(), 2],
      [0, c.restarted({ restartCount: 1, startedSecondsAgo: 1 }).build(), 3],
      [2, c.restarted({ restartCount: 1, startedSecondsAgo: 1 }).build(), 3],
      [3, c.exited({ restartCount: 1 }).build(), 2],
      [6, c.crashLooping({ restartCount: 1 }).build(), 2],
      [9, c.restarted({ restartCount: 2, startedSecondsAgo: -8 }).build(), 3],
    ];
    const degraded = cycle.map(([s, p, ready]) => {
      r.run(s, base(p, ready));
      return cond(r.status, 'Degraded')!.status;
    });
    assert.deepEqual(degraded, ['True', 'True', 'True', 'True', 'True', 'True', 'True']);
    const during = r.events.filter((e) => Number(e.split(' ')[0]) >= -9);
    assert.deepEqual(during, ['-9 Warning CrashLoopBackOff', '-9 Warning CrashLoopBackOff', '3 Warning CrashLoopBackOff', '6 Normal RestartedPod'],
      'each death once (the first also turns Ready False), the restart step, and no Healthy/Ready in between');
  });
});

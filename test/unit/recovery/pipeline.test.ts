import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { AgentStatus } from '../../../src/api/status.ts';
import { detectFailures } from '../../../src/health/detect.ts';
import { decide, type Decision } from '../../../src/recovery/policy.ts';
import { computeStatus } from '../../../src/status/compute.ts';
import { readRollout, rolloutHealthy } from '../../../src/status/rollout.ts';
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
    const failures = detectFailures({ pods: w.pods, now, readiness: { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 0 } });
    const rollout = readRollout(w.deployment, 3);
    const decision = decide({
      policy, generation: w.generation, previous: this.status?.recovery, failures, now, healthy: rolloutHealthy(rollout, 3), unmanaged: false,
      specMemoryLimit: '256Mi', revision: w.revision, lastHealthyRevision: this.status?.lastHealthyRevision, rolloutInProgress: rollout.inProgress,
    });
    const next = computeStatus({
      now, generation: w.generation, previous: this.status, deployment: w.deployment, pods: w.pods, desiredReplicas: 3, revision: w.revision,
      selector: 's', failures, decision, policy, specMemoryLimit: '256Mi', dependencies: { state: 'None' }, missingReferences: [],
      configErrors: [], invalidSpec: [], probesMissing: false, unmanaged: false,
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

  it('a new revision that crash-loops is restarted on schedule, rolled back to the healthy one, and a new spec clears it', () => {
    const r = new Reconciler();
    const v1: World = { generation: 1, revision: 'rev1', deployment: deployment({ revision: 'rev1' }), pods: healthyPods('rev1') };
    r.run(0, v1);
    r.run(60, v1);
    assert.equal(r.status!.lastHealthyRevision, 'rev1');
    const writesWhenConverged = r.writes;
    r.run(120, v1);
    assert.equal(r.writes, writesWhenConverged, 'a converged Agent writes nothing');

    const crashing = [...healthyPods('rev1').slice(0, 2), pod('rev2-a').revision('rev2').crashLooping().build()];
    const rolling: World = { generation: 2, revision: 'rev2', deployment: deployment({ revision: 'rev2', updated: 1, ready: 2, progressing: 'ReplicaSetUpdated' }), pods: crashing };
    for (const s of [200, 300, 700]) assert.equal(r.run(s, rolling).action.type, 'None', `no action during the rollout (${s})`);
    const stuck: World = { ...rolling, deployment: deployment({ revision: 'rev2', updated: 1, ready: 2, progressing: 'ProgressDeadlineExceeded' }) };
    const actions = [800, 810, 830, 870, 950].map((s) => r.run(s, stuck).action.type);
    assert.deepEqual(actions, ['None', 'RestartPod', 'RestartPod', 'RestartPod', 'Rollback']);
    assert.equal(r.status!.recovery!.rolledBackTo, 'rev1');

    const back: World = { ...stuck, deployment: deployment({ revision: 'rev1' }), pods: healthyPods('rev1') };
    r.run(980, back);
    assert.equal(cond(r.status, 'Degraded')!.reason, 'RolledBack');
    assert.equal(cond(r.status, 'Ready')!.reason, 'RolledBack');
    assert.equal(r.status!.phase, 'Degraded');
    assert.match(cond(r.status, 'Degraded')!.message, /^running revision rev1 \(the last healthy\) instead of rev2/);

    const fixed: World = { generation: 3, revision: 'rev3', deployment: deployment({ revision: 'rev3', updated: 1, progressing: 'ReplicaSetUpdated' }), pods: healthyPods('rev1') };
    r.run(1000, fixed);
    assert.equal(r.status!.recovery!.rolledBackTo, undefined);
    assert.ok(r.events.includes('1000 Normal RecoveryCleared'));
    r.run(1100, { ...fixed, deployment: deployment({ revision: 'rev3' }), pods: healthyPods('rev3') });
    assert.equal(cond(r.status, 'Ready')!.status, 'True');
    assert.equal(cond(r.status, 'Degraded')!.status, 'False');
  });
});

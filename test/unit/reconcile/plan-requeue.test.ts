// When an Agent is reconciled again without a watch event (issue 13, "Idle
// should be idle"). Every Agent not settled used to come back every 15 s:
// at 10,000 Agents waiting on the control plane that was ~470 reconciles a
// second that found nothing new. Now an Agent comes back by itself only at
// the moment a rule that changes with time alone is due; what only a watch
// event can change (the Deployment controller's progress, a dependency, a
// Secret) is left to that event.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1DeploymentStatus, V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import type { ApplyObject } from '../../../src/desired/desired-hash.ts';
import { withDesiredHash } from '../../../src/desired/desired-hash.ts';
import type { KubeIO } from '../../../src/kube/io.ts';
import type { Observed } from '../../../src/reconcile/gather.ts';
import { plan, unwatchedRetryMs, type Plan } from '../../../src/reconcile/plan.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { statusTime } from '../../../src/lib/time.ts';
import { agent } from '../../fixtures/agent.ts';
import { reconcileOnce } from '../../fixtures/reconciler.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

const at = (s: number) => new Date(t0.getTime() + s * 1000);

/** The Deployment the first plan of `a` applies, as stored, with the controller's status `status`. */
function deploymentOf(a: Agent, status: V1DeploymentStatus): V1Deployment {
  const d = withDesiredHash(plan(observed(a)).apply.find((o) => o.kind === 'Deployment') as ApplyObject) as unknown as V1Deployment;
  return { ...d, metadata: { ...d.metadata, uid: 'deploy-uid', generation: 1 }, status };
}

const progressing = (reason: string, status = 'True') => ({ type: 'Progressing', status, reason, lastTransitionTime: t0 });

/** A pod of the Deployment whose container is still being created (image pull, volume mount). */
function creatingPod(): V1Pod {
  return {
    metadata: { name: 'fwd-1', uid: 'fwd-1-uid', namespace: 'default' },
    spec: { nodeName: 'n1', containers: [{ name: 'agent', image: 'example.com/agent:1.0' }] },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t0 }, { type: 'Ready', status: 'False', lastTransitionTime: t0 }],
      containerStatuses: [{ name: 'agent', ready: false, restartCount: 0, image: 'example.com/agent:1.0', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }],
    },
  };
}

/**
 * The plan of `world` once the Agent's status has caught up with it: each
 * reconcile's status is stored, and the next one comes when the last asked
 * (or 20 s later). Eight reconciles, long past every grace, probe window and
 * held-back progress write.
 */
function settled(a: Agent, world: (a: Agent, now: Date) => Observed): Plan {
  let cur = a;
  let now = t0;
  let p: Plan | undefined;
  for (let i = 0; i < 8; i++) {
    p = plan(world(cur, now));
    if (p.status) cur = { ...cur, status: p.status };
    now = new Date(now.getTime() + Math.min(p.requeueAfterMs ?? 20_000, 20_000));
  }
  return p!;
}

describe('an Agent that waits only on a watch event is not requeued', () => {
  const fwd = agent('fwd').port('http', 2020).build();
  const cases: { name: string; agent?: Agent; world: (a: Agent, now: Date) => Observed }[] = [
    {
      name: 'the Deployment controller has not observed the new Deployment yet',
      world: (a, now) => observed(a, { workload: deploymentOf(fwd, {}), now }),
    },
    {
      name: 'the rollout is in progress: the pod is being created',
      world: (a, now) => observed(a, {
        workload: deploymentOf(fwd, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0, readyReplicas: 0, conditions: [progressing('ReplicaSetUpdated')] }),
        pods: [creatingPod()], now,
      }),
    },
    {
      name: 'the Deployment\'s progress deadline was exceeded (its controller says so, by a watched update)',
      world: (a, now) => observed(a, {
        workload: deploymentOf(fwd, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0, conditions: [progressing('ProgressDeadlineExceeded', 'False')] }),
        pods: [creatingPod()], now,
      }),
    },
    {
      name: 'a dependency is not Ready (its Agent is watched)',
      agent: agent('collector').dependsOnAgent('fwd').build(),
      world: (a, now) => observed(a, { dependencies: { ready: false, waits: [{ kind: 'Agent', name: 'fwd', state: 'NotReady' }], none: false }, now }),
    },
    {
      name: 'a required Secret is missing (Secrets are watched)',
      agent: agent('fwd').secretEnv('TOKEN', 'creds', 'token').build(),
      world: (a, now) => observed(a, { references: { digests: {}, missing: [{ kind: 'Secret', name: 'creds', key: 'token', optional: false }], configMapTexts: {} }, now }),
    },
    {
      // Ready, but never lastHealthyRevision (nothing runs to prove it): the old pass requeued it for ever.
      name: 'scaled to zero, no pod left',
      agent: agent('fwd').replicas(0).build(),
      world: (a, now) => observed(a, {
        workload: deploymentOf(agent('fwd').replicas(0).build(), { observedGeneration: 1, replicas: 0, conditions: [progressing('NewReplicaSetAvailable')] }),
        now,
      }),
    },
  ];
  it('scaled to zero: not even the healthy-revision timer, which zero replicas never satisfy', () => {
    const zero = agent('fwd').replicas(0).build();
    const world = (a: Agent) => observed(a, { workload: deploymentOf(zero, { observedGeneration: 1, replicas: 0, conditions: [progressing('NewReplicaSetAvailable')] }) });
    const first = plan(world(zero));
    assert.equal(first.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'ScaledToZero');
    assert.equal(plan(world({ ...zero, status: first.status! })).requeueAfterMs, undefined);
  });
  for (const c of cases) {
    it(c.name, () => {
      const p = settled(c.agent ?? fwd, c.world);
      assert.equal(p.status, undefined, 'its status has caught up');
      assert.equal(p.requeueAfterMs, undefined);
    });
  }
});

/** A container that died 1 s ago and was restarted 0.5 s ago, with a liveness probe. */
function restartedPod(): V1Pod {
  return {
    metadata: { name: 'fwd-1', uid: 'fwd-1-uid', namespace: 'default', annotations: { 'agent-operator.dev/revision': 'any' } },
    spec: { nodeName: 'n1', containers: [{ name: 'agent', image: 'example.com/agent:1.0' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', lastTransitionTime: at(-1) }],
      containerStatuses: [{
        name: 'agent', ready: false, restartCount: 1, image: 'example.com/agent:1.0', imageID: '',
        state: { running: { startedAt: at(-0.5) } },
        lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(-60), finishedAt: at(-1), containerID: 'containerd://0123456789abcdef' } },
      }],
    },
  };
}

describe('each rule that changes with time alone comes back at its moment', () => {
  const live = agent('fwd').port('http', 2020).liveness({ httpGet: { path: '/healthz', port: 2020 } });
  const step = 10_000; // the first remediation step (initialBackoffSeconds), due in every row below that has a death
  const cases: { name: string; agent: Agent; over: Partial<Observed>; want: number }[] = [
    {
      // The kubelet writes the Killing event and the pod's status separately, and pod Events are not watched.
      name: 'a death no Killing event explains yet: the events are read again 5 s after it',
      agent: live.build(), over: { pods: [restartedPod()], livenessKills: [] }, want: 4_000,
    },
    {
      name: 'a death the Killing event explains: only the remediation step',
      agent: live.build(), over: { pods: [restartedPod()], livenessKills: [{ podUid: 'fwd-1-uid', container: 'agent', at: statusTime(at(-2).getTime()) }] }, want: step,
    },
    {
      name: 'a death with no events read (no liveness probe): only the remediation step',
      agent: agent('fwd').port('http', 2020).build(), over: { pods: [restartedPod()] }, want: step,
    },
    {
      // A hand-made Service is outside the caches (they hold the operator's objects): its deletion raises no event.
      name: 'an object under the Agent\'s name that is not its own: tried again on the unwatched timer',
      agent: live.build(), over: { conflicts: [{ kind: 'Service', name: 'fwd', message: 'Service fwd already exists and is not this Agent\'s' }] }, want: unwatchedRetryMs,
    },
    {
      // status.recovery says 2 attempts until the window rolls over; nothing but time changes that.
      name: 'the remediation attempt window ends in 10 s',
      agent: { ...live.build(), status: { recovery: { generation: 1, restartAttempts: 2, windowStart: statusTime(at(-3590).getTime()), nextRestartNotBefore: statusTime(at(-3000).getTime()) } } },
      over: {}, want: 10_000,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(plan(observed(c.agent, c.over)).requeueAfterMs, c.want);
    });
  }

  it('the attempts are cleared when the window has ended', () => {
    const a: Agent = { ...live.build(), status: { recovery: { generation: 1, restartAttempts: 2, windowStart: statusTime(at(-3600).getTime()) } } };
    const p = plan(observed(a));
    assert.equal(p.status?.recovery?.restartAttempts, undefined);
    assert.equal(p.requeueAfterMs, undefined, 'nothing left to time');
  });
});

/** One reconcile of the new Agent fwd against a fake apiserver; what it asked for. */
async function reconcileNew(io: Partial<KubeIO>): Promise<{ requeueAfter?: number } | undefined> {
  return (await reconcileOnce(agent('fwd').port('http', 2020).build(), io)) ?? undefined;
}

describe('the reconciler', () => {
  it('a new Agent whose objects were written waits for the Deployment controller\'s events', async () => {
    assert.equal((await reconcileNew({}))?.requeueAfter, undefined);
  });

  it('an apply the apiserver refused is tried again on the unwatched timer (a quota freed raises no event)', async () => {
    const refuse: KubeIO['apply'] = async () => { throw new KubeApiError(403, 'deployments.apps "fwd" is forbidden: exceeded quota: compute'); };
    assert.equal((await reconcileNew({ apply: refuse }))?.requeueAfter, unwatchedRetryMs);
  });
});

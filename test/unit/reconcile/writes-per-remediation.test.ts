import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash, type ApplyObject } from '../../../src/desired/desired-hash.ts';
import { plan, type Plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

// The writes one OOM kill costs, from the kill until the Agent is settled
// again on the raised memory limit, reconcile by reconcile as the Deployment
// controller rolls the raise out: what bench/detection.ts reports as "writes
// per sample" (issue 13: those writes load the apiserver the next Agent's
// detection write waits on). The timeline is the one the apiserver's audit
// log and a watch on the Agent showed on a local control plane, 2026-12-01:
// the kill, the raise applied, the Deployment controller observing it, the
// raised pod created, Ready, the old pod gone, the revision recorded healthy.
// Every requeue the plan asks for is honoured in between, so a held write
// that falls due is counted where it would be written.

const at = (ms: number) => new Date(t0.getTime() + ms);
const sec = 1000;

interface DeploymentState { generation: number; observedGeneration: number; replicas: number; updated: number; ready: number; progressing: string }

/** The Deployment as the apiserver stores our apply, with the status the Deployment controller gives it. */
function deploymentAt(d: ApplyObject, s: DeploymentState): V1Deployment {
  const obj = withDesiredHash(d) as unknown as V1Deployment;
  return {
    ...obj,
    metadata: { ...obj.metadata, uid: 'deploy-uid', generation: s.generation },
    status: {
      observedGeneration: s.observedGeneration, replicas: s.replicas, updatedReplicas: s.updated, readyReplicas: s.ready, availableReplicas: s.ready,
      ...(s.replicas > s.ready ? { unavailableReplicas: s.replicas - s.ready } : {}),
      conditions: [
        { type: 'Available', status: s.ready > 0 ? 'True' : 'False', reason: s.ready > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' },
        { type: 'Progressing', status: 'True', reason: s.progressing },
      ],
    },
  };
}

/** A pod of `revision`; `oom`: its container was OOM-killed once and restarted at once (as the bench writes it, as a kubelet does under restartPolicy Always). */
function pod(name: string, revision: string, o: { ready: boolean; since: Date; memory: string; oom?: Date }): V1Pod {
  const container: V1ContainerStatus = {
    name: 'agent', ready: o.ready, restartCount: o.oom ? 1 : 0, image: 'example.com/agent:1.0', imageID: '', started: true,
    containerID: `containerd://${name}-${o.oom ? 1 : 0}`,
    state: { running: { startedAt: o.oom ?? o.since } },
    ...(o.oom ? { lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: o.since, finishedAt: o.oom, containerID: `containerd://${name}-0` } } } : {}),
  };
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', annotations: { 'agent-operator.dev/revision': revision } },
    spec: { containers: [{ name: 'agent', image: 'example.com/agent:1.0', resources: { limits: { memory: o.memory } } }], nodeName: 'node-1' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.since }, { type: 'PodScheduled', status: 'True' }],
      containerStatuses: [container],
    },
  };
}

type World = Parameters<typeof observed>[1];

/** Runs plan as the reconciler would: at each step's time, and at every requeue the previous plan asked for before it. */
class Timeline {
  a: Agent;
  readonly writes: string[] = [];
  readonly plans: { name: string; plan: Plan }[] = [];
  #due: number | undefined;
  #world: World = {};
  #rv = 1;

  constructor(a: Agent) {
    this.a = a;
  }

  step(name: string, ms: number, world: World): Plan {
    while (this.#due !== undefined && this.#due < ms) this.#reconcile(`requeue at ${(this.#due / sec).toFixed(1)} s`, this.#due, this.#world);
    this.#world = world;
    return this.#reconcile(name, ms, world);
  }

  /** Follows the requeues until the plan asks for none, or `untilMs`. */
  settle(untilMs: number): void {
    while (this.#due !== undefined && this.#due <= untilMs) this.#reconcile(`requeue at ${(this.#due / sec).toFixed(1)} s`, this.#due, this.#world);
  }

  #reconcile(name: string, ms: number, world: World): Plan {
    const p = plan(observed(this.a, { ...world, now: at(ms) }));
    this.plans.push({ name, plan: p });
    // act's order: a fresh failure's status first, then the objects, then the status, then events (not awaited).
    if (p.status && p.fresh.length) this.writes.push(`${name}: status`);
    for (const obj of p.apply) this.writes.push(`${name}: apply ${obj.kind}`);
    if (p.status && !p.fresh.length) this.writes.push(`${name}: status`);
    if (p.deletePod) this.writes.push(`${name}: delete pod`);
    for (const e of p.events) this.writes.push(`${name}: event ${e.type} ${e.reason}`);
    if (p.status) this.a = { ...this.a, metadata: { ...this.a.metadata, resourceVersion: String(++this.#rv) }, status: p.status };
    this.#due = p.requeueAfterMs === undefined ? undefined : ms + p.requeueAfterMs;
    return p;
  }
}

/** A settled Agent (Ready, its revision recorded healthy) whose one pod is then OOM-killed, through to settled again on the raised limit. */
function oomRemediation(): { t: Timeline; oomAt: number; raisedRevision: string } {
  const t = new Timeline(agent('fwd').resources({ limits: { memory: '256Mi' } }).build());
  const first = t.step('created', 0, {});
  const d1 = first.apply.find((o) => o.kind === 'Deployment')!;
  const rev1 = first.status!.revision!;
  const oldReady = pod('fwd-old', rev1, { ready: true, since: at(2 * sec), memory: '256Mi' });
  const rolledOut1 = { generation: 1, observedGeneration: 1, replicas: 1, updated: 1, ready: 1, progressing: 'NewReplicaSetAvailable' };
  t.step('pod ready', 3 * sec, { workload: deploymentAt(d1, rolledOut1), pods: [oldReady] });
  t.settle(120 * sec);
  assert.equal(t.a.status?.lastHealthyRevision, rev1, 'settled before the kill');

  const oomAt = 200 * sec;
  const killed = pod('fwd-old', rev1, { ready: true, since: at(2 * sec), memory: '256Mi', oom: at(oomAt) });
  t.writes.length = 0;
  const detected = t.step('OOM kill seen', oomAt, { workload: deploymentAt(d1, rolledOut1), pods: [killed] });
  const d2 = detected.apply.find((o) => o.kind === 'Deployment');
  assert.ok(d2, 'the raise is applied');
  const raised = d2 as unknown as V1Deployment;
  assert.equal(raised.spec?.template.spec?.containers[0]?.resources?.limits?.memory, '356Mi');
  const rev2 = raised.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'];
  assert.ok(rev2 && rev2 !== rev1);
  const s = (o: Partial<DeploymentState>) => deploymentAt(d2, { generation: 2, observedGeneration: 2, replicas: 1, updated: 0, ready: 1, progressing: 'ReplicaSetUpdated', ...o });
  const newPod = (ready: boolean) => pod('fwd-new', rev2, { ready, since: at(oomAt + 1500), memory: '356Mi' });
  t.step('raise applied', oomAt + 300, { workload: s({ observedGeneration: 1, updated: 1, progressing: 'NewReplicaSetAvailable' }), pods: [killed] });
  t.step('the Deployment controller observes it', oomAt + 600, { workload: s({}), pods: [killed] });
  t.step('raised pod created', oomAt + 900, { workload: s({ replicas: 2, updated: 1, ready: 1 }), pods: [killed, newPod(false)] });
  t.step('raised pod Ready', oomAt + 1700, { workload: s({ replicas: 2, updated: 1, ready: 2 }), pods: [killed, newPod(true)] });
  t.step('old pod gone', oomAt + 1900, { workload: s({ replicas: 1, updated: 1, ready: 1, progressing: 'NewReplicaSetAvailable' }), pods: [newPod(true)] });
  t.settle(oomAt + 300 * sec);
  assert.equal(t.a.status?.lastHealthyRevision, rev2, `settled again on the raise: ${t.writes.join('; ')}`);
  return { t, oomAt, raisedRevision: rev2 };
}

describe('writes per OOM remediation', () => {
  it('an OOM kill costs at most 8 writes from the kill to settled on the raised limit, events included', () => {
    const { t } = oomRemediation();
    assert.ok(t.writes.length <= 8, `${t.writes.length} writes: ${t.writes.join('; ')}`);
  });

  it('kubectl describe shows the failure, the remedy and the outcome, each once', () => {
    const { t } = oomRemediation();
    assert.deepEqual(t.writes.filter((w) => w.includes(': event ')).map((w) => w.split(': event ')[1]),
      ['Warning OOMKilled', 'Normal MemoryIncreased', 'Normal Ready']);
  });

  it('the failure is the first write, in the reconcile that sees the kill, before the raise is applied', () => {
    const { t } = oomRemediation();
    assert.equal(t.writes[0], 'OOM kill seen: status');
    const detected = t.plans.find((p) => p.name === 'OOM kill seen')!.plan;
    assert.equal(detected.status?.lastFailure?.reason, 'OOMKilled');
    assert.equal(detected.status?.recovery?.memoryLimit, '356Mi');
    assert.equal(detected.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  });

  it('the rollout the raise starts and Ready coming back are written when they happen, not at a timer', () => {
    const { t, raisedRevision } = oomRemediation();
    const written = (name: string) => t.plans.find((p) => p.name === name)!.plan.status;
    // Reconciling goes True (kstatus reads it: InProgress) and the revision the Deployment now carries is named.
    assert.equal(written('raise applied')?.revision, raisedRevision);
    assert.equal(written('raise applied')?.conditions?.find((c) => c.type === 'Reconciling')?.status, 'True');
    assert.equal(written('old pod gone')?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(written('old pod gone')?.readyText, '1/1');
  });
});

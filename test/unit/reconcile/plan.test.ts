import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import type { ApplyObject } from '../../../src/desired/desired-hash.ts';
import { withDesiredHash } from '../../../src/desired/desired-hash.ts';
import type { Observed } from '../../../src/reconcile/gather.ts';
import type { Workload } from '../../../src/desired/workload.ts';
import { plan, type Plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

const later = (s: number) => new Date(t0.getTime() + s * 1000);

/** What the apiserver holds after our apply: the object (with its hash) and a status saying it rolled out. */
function stored(d: ApplyObject, replicas: number): V1Deployment {
  const obj = withDesiredHash(d) as unknown as V1Deployment;
  return {
    ...obj,
    metadata: { ...obj.metadata, uid: 'deploy-uid', generation: 1 },
    status: {
      observedGeneration: 1, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      ],
    },
  };
}

function readyPod(name: string, revision: string): V1Pod {
  return {
    metadata: { name, uid: `${name}-uid`, namespace: 'default', annotations: { 'agent-operator.dev/revision': revision } },
    spec: { containers: [{ name: 'agent', image: 'example.com/agent:1.0' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t0 }, { type: 'PodScheduled', status: 'True' }],
      containerStatuses: [{ name: 'agent', ready: true, restartCount: 0, image: 'example.com/agent:1.0', imageID: '', state: { running: { startedAt: t0 } } }],
    },
  };
}

const kinds = (p: Plan) => p.apply.map((o) => o.kind).sort();
/** gather's view when Secret creds has no key token. */
const tokenMissing = (optional: boolean): Partial<Observed> => ({ references: { digests: {}, missing: [{ kind: 'Secret', name: 'creds', key: 'token', optional }], configMapTexts: {} } });
/** gather's view while the Agent fwd this one depends on is not Ready. */
const fwdNotReady: Partial<Observed> = { dependencies: { ready: false, waits: [{ kind: 'Agent', name: 'fwd', state: 'NotReady' }], none: false } };

/**
 * `a` after its first plan was applied and rolled out: the stored Deployment
 * and Service, one Ready pod at the revision, and the world at `now` with the
 * Agent as its status stands (`a` is kept up to date through `advance`).
 */
function rolledOut(initial: Agent, healthyAfterSeconds?: number) {
  let a = initial;
  const first = plan(observed(a));
  const deployment = stored(first.apply.find((o) => o.kind === 'Deployment')!, 1);
  const service = withDesiredHash(first.apply.find((o) => o.kind === 'Service')!) as unknown as V1Service;
  const revision = first.status!.revision!;
  const world = (now: Date) => observed(a, { workload: deployment, service, pods: [readyPod('fwd-1', revision)], now });
  return {
    revision,
    get agent() { return a; },
    world,
    /** One reconcile at t seconds; its status becomes the Agent's. */
    advance(t: number): Plan {
      const p = plan(world(later(t)), healthyAfterSeconds === undefined ? {} : { healthyAfterSeconds });
      a = { ...a, status: p.status ?? a.status };
      return p;
    },
  };
}

describe('plan', () => {
  it('a new Agent gets its Deployment and Service applied and a first status', () => {
    const p = plan(observed(agent('fwd').port('http', 2020).build()));
    assert.deepEqual(kinds(p), ['Deployment', 'Service']);
    assert.equal(p.status?.observedGeneration, 1);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  });

  it('records the revision healthy after the operator\'s healthy-after setting, not before', () => {
    const w = rolledOut(agent('fwd').port('http', 2020).build(), 10);
    w.advance(1);
    w.advance(5);
    assert.equal(w.agent.status?.lastHealthyRevision, undefined, 'not yet after 5 s of 10');
    w.advance(12);
    assert.equal(w.agent.status?.lastHealthyRevision, w.revision);
  });

  it('reconciles again the moment the revision has been healthy for healthy-after, not on the next periodic requeue', () => {
    // make chaos (issue 12): recorded up to 15 s late (the unsettled requeue), a bad release right after
    // the warm-up found no lastHealthyRevision and was restarted instead of rolled back
    const w = rolledOut(agent('fwd').port('http', 2020).build(), 10);
    w.advance(1);
    assert.equal(w.advance(5).requeueAfterMs, 6000, 'seen healthy from 1 s: recorded at 11 s');
    assert.equal(w.advance(11).status?.lastHealthyRevision, w.revision);
    assert.equal(w.advance(12).requeueAfterMs, undefined, 'settled: nothing more to wait for');
  });

  it('a converged Agent plans no write at all', () => {
    const w = rolledOut(agent('fwd').port('http', 2020).build());
    // Status follows the world until the revision has been healthy long enough...
    w.advance(1);
    w.advance(70);
    assert.equal(w.agent.status?.lastHealthyRevision, w.revision);
    assert.equal(w.agent.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    // ...and then nothing changes: no apply, no delete, no status, no event.
    const settled = plan(w.world(later(80)));
    assert.deepEqual(settled.apply, []);
    assert.deepEqual(settled.remove, []);
    assert.equal(settled.status, undefined);
    assert.deepEqual(settled.events, []);
    assert.equal(settled.deletePod, undefined);
  });

  it('a missing Secret key holds the Deployment as it runs and names the Secret and key', () => {
    const a = agent('fwd').secretEnv('API_TOKEN', 'creds', 'token').build();
    const p = plan(observed(a, tokenMissing(false)));
    assert.ok(!p.apply.some((o) => o.kind === 'Deployment'), 'the Deployment must not be applied');
    const readyCond = p.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(readyCond?.reason, 'SecretNotFound');
    assert.match(readyCond?.message ?? '', /Secret creds has no key token/);
    assert.match(readyCond?.message ?? '', /env\[API_TOKEN\]/);
  });

  it('an optional missing Secret does not hold the rollout', () => {
    const a = agent('fwd').secretEnv('API_TOKEN', 'creds', 'token', { optional: true }).build();
    const p = plan(observed(a, tokenMissing(true)));
    assert.ok(p.apply.some((o) => o.kind === 'Deployment'));
  });

  it('an Unmanaged Agent is only reported on', () => {
    const p = plan(observed(agent('fwd').port('http', 2020).unmanaged().build()));
    assert.deepEqual(p.apply, []);
    assert.equal(p.status?.phase, 'Unmanaged');
  });

  it('removing the ports removes the Service the operator created', () => {
    const withPorts = plan(observed(agent('fwd').port('http', 2020).build()));
    const service = withDesiredHash(withPorts.apply.find((o) => o.kind === 'Service')!) as unknown as V1Service;
    const p = plan(observed(agent('fwd').build(), { service }));
    assert.deepEqual(p.remove.map((r) => `${r.kind}/${r.name}`), ['Service/fwd']);
  });

  it('switching the Service between ClusterIP and Headless deletes it first (clusterIP is immutable)', () => {
    const first = plan(observed(agent('fwd').port('http', 2020).build()));
    const live = { ...withDesiredHash(first.apply.find((o) => o.kind === 'Service')!), spec: { clusterIP: '10.0.0.7', ports: [{ name: 'http', port: 2020 }] } } as unknown as V1Service;
    const p = plan(observed(agent('fwd').port('http', 2020).service({ type: 'Headless' }).build(), { service: live }));
    assert.deepEqual(p.remove.map((r) => `${r.kind}/${r.name}`), ['Service/fwd']);
    assert.ok(!p.apply.some((o) => o.kind === 'Service'));
  });

  it('dependencies that are not Ready hold a first start at zero replicas', () => {
    const a = agent('collector').dependsOnAgent('fwd').build();
    const p = plan(observed(a, fwdNotReady));
    const d = p.apply.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    assert.equal(d.spec?.replicas, 0);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'DependenciesReady')?.status, 'False');
  });

  it('says in DependenciesReady what gather found of spec.dependsOn: none, a cycle, all ready', () => {
    const rows: [string, Agent, Observed['dependencies'], [string, string]][] = [
      ['none', agent('collector').build(), { ready: true, waits: [], none: true }, ['True', 'NoDependencies']],
      ['a cycle', agent('collector').dependsOnAgent('fwd').build(), { ready: false, waits: [], cycle: ['collector', 'fwd'], none: false }, ['False', 'DependencyCycle']],
      ['all ready', agent('collector').dependsOnAgent('fwd').build(), { ready: true, waits: [], none: false }, ['True', 'DependenciesReady']],
    ];
    for (const [name, a, dependencies, want] of rows) {
      const c = plan(observed(a, { dependencies })).status?.conditions?.find((x) => x.type === 'DependenciesReady');
      assert.deepEqual([c?.status, c?.reason], want, name);
    }
  });

  it('an Agent that has run before is not scaled down when a dependency flaps', () => {
    const a: Agent = { ...agent('collector').dependsOnAgent('fwd').build(), status: { lastHealthyRevision: 'abc' } };
    const p = plan(observed(a, fwdNotReady));
    const d = p.apply.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    assert.equal(d.spec?.replicas, 1);
  });

  it('comes back the moment a readiness window closes, not on the next periodic requeue', () => {
    // window 4 s (2 x 2 s); the pod turned unready 1 s ago, so the window closes in 3 s
    const a = agent('fwd').port('http', 2020).readiness({ tcpSocket: { port: 2020 }, periodSeconds: 2, failureThreshold: 2, timeoutSeconds: 1 }).build();
    const p = readyPod('fwd-1', 'any');
    p.status!.conditions = [{ type: 'Ready', status: 'False', lastTransitionTime: later(-1) }];
    p.status!.containerStatuses![0]!.ready = false;
    p.status!.containerStatuses![0]!.state = { running: { startedAt: later(-100) } };
    assert.equal(plan(observed(a, { pods: [p] })).requeueAfterMs, 3001);
    const late = plan(observed(a, { pods: [p], now: later(3.001) }));
    assert.equal(late.status?.lastFailure?.reason, 'ProbeFailure', 'and then it is a ProbeFailure');
  });

  it('diagnoses a container the kubelet killed for its liveness probe from the pod\'s Killing event', () => {
    const a = agent('fwd').port('http', 2020).build();
    const p = readyPod('fwd-1', 'any');
    p.status!.containerStatuses![0] = {
      ...p.status!.containerStatuses![0]!, restartCount: 1,
      state: { running: { startedAt: later(-2) } },
      lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt: later(-40), finishedAt: later(-3), containerID: 'containerd://0123456789abcdef' } },
    };
    const without = plan(observed(a, { pods: [p] }));
    assert.equal(without.status?.lastFailure?.reason, 'CrashLoopBackOff', 'without the event it is a death like any other');
    const withKill = plan(observed(a, { pods: [p], livenessKills: [{ podUid: 'fwd-1-uid', container: 'agent', at: later(-4).toISOString() }] }));
    assert.equal(withKill.status?.lastFailure?.reason, 'LivenessProbeFailure');
    assert.match(withKill.status?.lastFailure?.message ?? '', /because its liveness probe failed .*: fix what health\.liveness checks/);
    // The policy's event names the failure; "Ready is False: ... LivenessProbeFailure" beside it would say it again.
    assert.deepEqual(withKill.events.filter((e) => e.type === 'Warning').map((e) => e.reason), ['LivenessProbeFailure']);
  });

  it('a schema problem the apiserver did not refuse becomes InvalidSpec, and nothing is applied', () => {
    const p = plan(observed(agent('fwd').build()), { invalidSpec: ['spec.replicas: Too small: expected number to be >=0'] });
    assert.ok(!p.apply.some((o) => o.kind === 'Deployment'));
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Stalled')?.reason, 'InvalidSpec');
  });

  it('a refused spec.replicas reads as the count the workload runs, not the default: an Agent stored with a bad value is not scaled down', () => {
    // readAgent reads a refused value as unset (src/api/stored-agent.ts); unset replicas is 1.
    const a = agent('fwd').build();
    const { replicas: _unset, ...spec } = a.spec;
    const running = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fwd', namespace: 'default' }, spec: { replicas: 5 }, status: { replicas: 5, readyReplicas: 5, availableReplicas: 5, updatedReplicas: 5 } } as unknown as Workload;
    const p = plan(observed({ ...a, spec }, { workload: running }), { invalidSpec: ['spec.replicas: Invalid input: expected number, received string'] });
    assert.equal(p.computed.desiredReplicas, 5);
    assert.ok(!p.apply.some((o) => o.kind === 'Deployment' && (o as { spec?: { replicas?: number } }).spec?.replicas !== 5), 'no write of another count');
  });

  it('an Agent whose pod breaks the pod security level is refused with PodSecurityViolation naming the field, and nothing is applied', () => {
    const a = agent('fwd').podTemplate({ securityContext: { container: { capabilities: { add: ['SYS_ADMIN'] } } } }).build();
    const p = plan(observed(a));
    assert.ok(!p.apply.some((o) => o.kind === 'Deployment'));
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'PodSecurityViolation');
    assert.match(ready?.message ?? '', /spec\.podTemplate\.securityContext\.container\.capabilities\.add is SYS_ADMIN, .*level baseline \(check capabilities_baseline\)/);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Stalled')?.reason, 'PodSecurityViolation');
    const event = p.events.find((e) => e.reason === 'PodSecurityViolation');
    assert.equal(event?.type, 'Warning');
    assert.match(event?.message ?? '', /capabilities\.add is SYS_ADMIN.*allowed is AUDIT_WRITE/);
  });

  it('a running Agent changed to a pod the policy refuses keeps its Deployment as it runs', () => {
    const a = agent('fwd').port('http', 2020).build();
    const first = plan(observed(a));
    const deployment = stored(first.apply.find((o) => o.kind === 'Deployment')!, 1);
    const root = agent('fwd').port('http', 2020).generation(2).podTemplate({ securityContext: { pod: { runAsNonRoot: false, runAsUser: 0 } } }).build();
    const held = plan(observed(root, { workload: deployment }), { podPolicy: { level: 'restricted', allowedServiceAccounts: [] } });
    assert.ok(!held.apply.some((o) => o.kind === 'Deployment'));
    assert.equal(held.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodSecurityViolation');
    // The same spec is within baseline, the default level: it rolls out.
    assert.ok(plan(observed(root, { workload: deployment })).apply.some((o) => o.kind === 'Deployment'));
  });

  it('an Agent naming a ServiceAccount is refused unless the operator allows that ServiceAccount', () => {
    const a = agent('fwd').podTemplate({ serviceAccountName: 'deployer' }).build();
    assert.equal(plan(observed(a)).status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodSecurityViolation');
    assert.ok(plan(observed(a), { podPolicy: { level: 'baseline', allowedServiceAccounts: ['default/deployer'] } }).apply.some((o) => o.kind === 'Deployment'));
  });

  it('reads disruption.minAvailable 0 (or "0", or 0%) as no pod needed: Available with none up, as the PDB allows', () => {
    for (const minAvailable of [0, '0', '0%']) {
      const a = agent('fwd').minAvailable(minAvailable).build();
      const d = stored(plan(observed(a)).apply.find((o) => o.kind === 'Deployment')!, 1);
      const down = { ...d, status: { ...d.status, readyReplicas: 0, availableReplicas: 0 } };
      const available = plan(observed(a, { workload: down })).status?.conditions?.find((c) => c.type === 'Available');
      assert.deepEqual([available?.status, available?.message], ['True', '0/1 replicas available (at least 0 needed)'], `minAvailable ${minAvailable}`);
    }
  });
});

// The pod, EndpointSlice and Agent caches keep only what the reconciler reads
// (cache-transforms.ts): the plan made from the stripped objects is the plan
// made from the whole ones, for every pod situation the detection knows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment, V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash } from '../../../src/desired/desired-hash.ts';
import { readAgent, type StoredAgent } from '../../../src/api/stored-agent.ts';
import { agentForCache, endpointSliceForCache, podForCache } from '../../../src/reconcile/cache-transforms.ts';
import { evaluateDependencies } from '../../../src/reconcile/dependencies.ts';
import { plan, type Plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';
import { PodBuilder } from '../health/pod-fixtures.ts';

const a: Agent = { ...agent('fwd').namespace('team').uid('agent-uid')
  .resources({ limits: { memory: '256Mi', cpu: '500m' } })
  .env('LOG_LEVEL', 'debug').secretEnv('TOKEN', 'creds', 'token')
  .inlineConfig({ outputs: [{ type: 'stdout' }] })
  .liveness({ httpGet: { path: '/healthz', port: 2020 } })
  .port('http', 2020)
  .build() };

const first = plan(observed(a));
const template = first.apply.find((o) => o.kind === 'Deployment')!;
const applied = withDesiredHash(template) as unknown as V1Deployment;
const deployment: V1Deployment = {
  ...applied, metadata: { ...applied.metadata, uid: 'deploy-uid', generation: 1 },
  status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
};
const revision = first.status!.revision!;
const configMap = first.apply.find((o) => o.kind === 'ConfigMap')!;
/** An older rendered config that only a pod still mounts: config GC must see that mount through the stripped pod. */
const older: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fwd-config-old', namespace: 'team', uid: 'cm-old', ownerReferences: [{ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', name: 'fwd', uid: 'agent-uid', controller: true }] } };

/** A pod as the apiserver sends it: the Deployment's whole template (env, probes, volumes), a node, and a status from the builder. */
function livePod(name: string, status: PodBuilder, opts: { mounts?: string } = {}): V1Pod {
  const t = deployment.spec!.template;
  const built = status.revision(revision).memoryLimit('256Mi').build();
  const volumes = [...(t.spec!.volumes ?? []), ...(opts.mounts ? [{ name: 'old', configMap: { name: opts.mounts } }] : []),
    { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }];
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { ...t.metadata, name, namespace: 'team', uid: `uid-${name}`, creationTimestamp: built.metadata!.creationTimestamp!, annotations: { ...t.metadata!.annotations } },
    spec: { ...t.spec!, nodeName: 'node-1', volumes, tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] },
    status: built.status!,
  };
}

const situations: [string, V1Pod[]][] = [
  ['a ready pod', [livePod('fwd-1', new PodBuilder('x').restarted({ restartCount: 0, startedSecondsAgo: 3000 }))]],
  ['an OOM-killed pod (memory raise against the pod\'s limit)', [livePod('fwd-1', new PodBuilder('x').oomKilled({ shownAs: 'state' }))]],
  ['an OOM kill in a crash loop', [livePod('fwd-1', new PodBuilder('x').oomKilled({ restartCount: 5 }))]],
  ['a crash loop (restart with backoff)', [livePod('fwd-1', new PodBuilder('x').crashLooping({ restartCount: 4 }))]],
  ['an image that cannot be pulled', [livePod('fwd-1', new PodBuilder('x').imagePull())]],
  ['a config error', [livePod('fwd-1', new PodBuilder('x').configError('secret "creds" not found'))]],
  ['a pod not ready for ten minutes', [livePod('fwd-1', new PodBuilder('x').notReadyFor(600))]],
  ['an unschedulable pod', [livePod('fwd-1', new PodBuilder('x').unschedulable())]],
  ['a terminating pod that mounts an older config', [livePod('fwd-1', new PodBuilder('x').terminating(), { mounts: 'fwd-config-old' })]],
];

const decided = (p: Plan) => ({ apply: p.apply, remove: p.remove, status: p.status, events: p.events, action: p.action, deletePod: p.deletePod, fresh: p.fresh, requeueAfterMs: p.requeueAfterMs, tellPods: p.tellPods, reloadCalls: p.reloadCalls });

describe('the pod cache keeps what the plan reads', () => {
  for (const [name, pods] of situations) {
    it(`${name}: the same plan from the stripped pods`, () => {
      const now = new Date(t0.getTime() + 3600_000);
      const world = (ps: V1Pod[]) => observed({ ...a, status: first.status! }, {
        workload: deployment, pods: ps, now, configMaps: [configMap as unknown as V1ConfigMap, older],
      });
      const whole = plan(world(pods));
      const stripped = plan(world(pods.map(podForCache)));
      assert.deepEqual(decided(stripped), decided(whole));
    });
  }

  it('drops env, probes, commands and every volume but the ConfigMaps: a fraction of the pod', () => {
    const pod = livePod('fwd-1', new PodBuilder('x').oomKilled({ shownAs: 'state' }), { mounts: 'fwd-config-old' });
    const kept = podForCache(pod);
    const text = JSON.stringify(kept);
    for (const gone of ['LOG_LEVEL', 'livenessProbe', 'tolerations', 'serviceAccountToken', 'securityContext']) assert.ok(!text.includes(gone), `${gone} is not cached`);
    assert.deepEqual(kept.spec?.volumes?.map((v) => v.configMap?.name).sort(), [configMap.metadata.name, 'fwd-config-old'].sort());
    assert.equal(kept.spec?.nodeName, 'node-1');
    assert.deepEqual(kept.status, pod.status);
    assert.ok(text.length < JSON.stringify(pod).length * 0.6, `${text.length} of ${JSON.stringify(pod).length} bytes`);
  });
});

describe('the pod cache keeps what the config reload reads (spec.config.reload HTTP)', () => {
  // The policy reads the pods' config-* annotations, Ready condition, IP, node and ConfigMap volumes.
  const h: Agent = { ...a, spec: { ...a.spec, config: { ...a.spec.config!, reload: { mode: 'HTTP' } } } };
  const hFirst = plan(observed(h));
  const hApplied = withDesiredHash(hFirst.apply.find((o) => o.kind === 'Deployment')!) as unknown as V1Deployment;
  const hDeployment: V1Deployment = { ...hApplied, metadata: { ...hApplied.metadata, uid: 'deploy-uid', generation: 1 }, status: deployment.status! };
  const hash = hFirst.computed.config!.hash;
  const toldAt = t0.toISOString();
  const record = (failures: number) => JSON.stringify({ hash, ok: false, failures, at: toldAt, error: 'HTTP 500' });
  const reloadPod = (name: string, annotations: Record<string, string>): V1Pod => {
    const t = hDeployment.spec!.template;
    const built = new PodBuilder('x').revision(hFirst.status!.revision!).restarted({ restartCount: 0, startedSecondsAgo: 3000 }).build();
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { ...t.metadata, name, namespace: 'team', uid: `uid-${name}`, creationTimestamp: built.metadata!.creationTimestamp!, annotations: { ...t.metadata!.annotations, ...annotations } },
      spec: { ...t.spec!, nodeName: 'node-1', tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] },
      status: { ...built.status!, podIP: '10.1.2.3' },
    };
  };
  const reloadSituations: [string, V1Pod[], (p: Plan) => unknown][] = [
    ['a pod not told the config yet is told', [reloadPod('fwd-1', {})], (p) => p.tellPods?.length],
    ['a told pod gets its reload call', [reloadPod('fwd-1', { 'agent-operator.dev/config-hash': hash, 'agent-operator.dev/config-told-at': toldAt })], (p) => p.reloadCalls?.[0]?.url],
    ['a pod whose reload failed 3 times is restarted', [reloadPod('fwd-1', { 'agent-operator.dev/config-hash': hash, 'agent-operator.dev/config-told-at': toldAt, 'agent-operator.dev/config-reload': record(3) })], (p) => p.deletePod?.name],
  ];
  for (const [name, pods, acted] of reloadSituations) {
    it(`${name}: the same plan from the stripped pods`, () => {
      const world = (ps: V1Pod[]) => observed({ ...h, status: hFirst.status! }, { workload: hDeployment, pods: ps, now: new Date(t0.getTime() + 3600_000) });
      const whole = plan(world(pods));
      assert.ok(acted(whole), 'the situation makes the reload act');
      assert.deepEqual(decided(plan(world(pods.map(podForCache)))), decided(whole));
    });
  }
});

describe('the EndpointSlice cache keeps each endpoint\'s vote', () => {
  const slice = (ready: (boolean | undefined)[]): V1EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: 'db-abcde', namespace: 'team', labels: { 'kubernetes.io/service-name': 'db' } },
    endpoints: ready.map((r, i) => ({ addresses: [`10.0.0.${i}`], nodeName: 'node-1', ...(r === undefined ? {} : { conditions: { ready: r, serving: r, terminating: false } }) })),
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  });
  const dependent = agent('app').namespace('team').dependsOnService('db').build();
  for (const [name, ready] of [['none ready', [false, false]], ['one ready', [false, true]], ['ready unset (ready)', [undefined]], ['no endpoints', []]] as const) {
    it(`${name}: the same dependency verdict from the stripped slice`, () => {
      const verdict = (s: V1EndpointSlice) => evaluateDependencies(dependent, { agent: () => undefined, endpointSlices: () => [s] });
      assert.deepEqual(verdict(endpointSliceForCache(slice([...ready]))), verdict(slice([...ready])));
      assert.ok(!JSON.stringify(endpointSliceForCache(slice([...ready]))).includes('10.0.0'), 'no addresses');
    });
  }
});

describe('the Agent cache keeps all but kubectl\'s copy of the applied Agent', () => {
  // `kubectl apply` (client-side) stores the whole applied object in an
  // annotation: for an Agent with an inline config, a second copy of the spec.
  const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
  const applied: StoredAgent = JSON.parse(JSON.stringify({ ...a, status: first.status,
    metadata: { ...a.metadata, resourceVersion: '9', annotations: { [lastApplied]: JSON.stringify({ apiVersion: a.apiVersion, kind: a.kind, metadata: { name: 'fwd', namespace: 'team' }, spec: a.spec }), 'agent-operator.dev/note': 'kept' } } })) as StoredAgent;
  const world = (s: StoredAgent) => observed(readAgent(s).agent, { workload: deployment, pods: [livePod('fwd-1', new PodBuilder('x').oomKilled({ shownAs: 'state' }))], now: new Date(t0.getTime() + 3600_000), configMaps: [configMap as unknown as V1ConfigMap] });

  it('the same plan from the stripped Agent, which no longer holds the copy', () => {
    const kept = agentForCache(applied);
    assert.deepEqual(decided(plan(world(kept))), decided(plan(world(applied))));
    assert.equal(kept.metadata.annotations?.[lastApplied], undefined);
    assert.equal(kept.metadata.annotations?.['agent-operator.dev/note'], 'kept');
    assert.ok(JSON.stringify(applied).length - JSON.stringify(kept).length > applied.metadata.annotations![lastApplied]!.length, 'the copy of the spec is gone');
  });

  it('an Agent without the annotation is kept as it is', () => {
    const plain = { ...applied, metadata: { ...applied.metadata, annotations: {} } };
    assert.equal(agentForCache(plain), plain);
  });
});

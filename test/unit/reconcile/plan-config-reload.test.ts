import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { desiredObjects } from '../../fixtures/desired.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { statusTime } from '../../../src/lib/time.ts';
import type { Workload } from '../../../src/desired/workload.ts';
import { withDesiredHash, type ApplyObject } from '../../../src/desired/desired-hash.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

// plan with spec.config.reload InPlace/HTTP: a layer edit applies the one
// ConfigMap, leaves the Deployment alone and tells the running pods.

const a = agent('shipper').port('http', 2020).configMapLayer('shipper-base', 'base.yaml').config({ reload: { mode: 'HTTP', http: { path: '/reload' } } }).build();

function world(layer: string) {
  const d = desiredObjects(a, { referenceDigests: {}, configLayers: [layer] });
  assert.ok(d.ok);
  return d;
}

describe('plan with reload HTTP', () => {
  const before = world('level: info\n');
  const after = world('level: debug\n');
  const pod: V1Pod = {
    metadata: { name: 'shipper-1', uid: 'u1', annotations: { 'agent-operator.dev/config-hash': before.config!.hash } },
    spec: { nodeName: 'n', containers: [{ name: 'agent' }], volumes: [{ name: 'agent-config', configMap: { name: 'shipper-config' } }] },
    status: { podIP: '10.0.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
  };
  // As the apiserver holds them after our apply (with the desired-hash annotation apply adds).
  const applied = <T>(x: unknown) => withDesiredHash(x as ApplyObject) as unknown as T;
  const o = (layer: string) => observed(a, {
    workload: applied<Workload>(before.workload), service: applied(before.service), pods: [pod], configMaps: [applied<V1ConfigMap>(before.configMap)],
    references: { digests: {}, missing: [], configMapTexts: { 'shipper-base/base.yaml': layer } },
  });

  it('a layer edit applies only the ConfigMap and tells the running pod the new hash', () => {
    const p = plan(o('level: debug\n'));
    assert.deepEqual(p.apply.map((x) => `${x.kind}/${x.metadata.name}`), ['ConfigMap/shipper-config'], 'no Deployment write: no new ReplicaSet');
    assert.deepEqual(p.tellPods, [{ name: 'shipper-1', uid: 'u1', annotations: { 'agent-operator.dev/config-hash': after.config!.hash, 'agent-operator.dev/config-told-at': t0.toISOString() } }]);
    assert.equal(p.reloadCalls, undefined, 'the call waits for the kubelet to swap the file');
    assert.equal(p.computed.config?.hash, after.config!.hash);
    assert.equal(p.computed.conditions?.find((c) => c.type === 'ConfigReloaded')?.reason, 'ConfigReloadPending');
    assert.ok((p.requeueAfterMs ?? Infinity) <= 2_000, 'back when the call is due');
  });

  it('with the config unchanged and the pod told and reloaded, nothing is written to pods', () => {
    const done: V1Pod = { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata!.annotations, 'agent-operator.dev/config-reload': JSON.stringify({ hash: before.config!.hash, ok: true, failures: 0, at: t0.toISOString() }) } } };
    const p = plan({ ...o('level: info\n'), pods: [done] });
    assert.deepEqual(p.apply, []);
    assert.equal(p.tellPods, undefined);
    assert.equal(p.reloadCalls, undefined);
    assert.equal(p.computed.conditions?.find((c) => c.type === 'ConfigReloaded')?.status, 'True');
  });

  it('a held rollout (a missing layer ConfigMap) tells no pod, and status keeps what the pods were last given', () => {
    const given = plan(o('level: info\n')).computed;
    assert.ok(given.config, 'the pods\' config is in status before the hold');
    const before = o('level: info\n');
    const held = { ...before, agent: { ...before.agent, status: given }, references: { digests: {}, missing: [{ kind: 'ConfigMap' as const, name: 'shipper-base', key: 'base.yaml', optional: false }], configMapTexts: {} } };
    const p = plan(held);
    assert.equal(p.tellPods, undefined);
    assert.deepEqual(p.computed.config, given.config, 'the pods still run that config: status.config says so while the rollout waits');
    assert.deepEqual(p.computed.conditions?.find((c) => c.type === 'ConfigReloaded'), given.conditions?.find((c) => c.type === 'ConfigReloaded'));
  });
});

// A pod deleted because its reload failed is a pod deletion like any other:
// it counts in status.recovery.podDeletions and stops at the hourly ceiling,
// or an agent whose reload endpoint always fails would be deleted forever.
describe('plan with reload HTTP: a failed reload\'s pod deletion', () => {
  const d = world('level: info\n');
  const hash = d.config!.hash;
  const failedPod: V1Pod = {
    metadata: {
      name: 'shipper-1', uid: 'u1', annotations: {
        'agent-operator.dev/config-hash': hash,
        'agent-operator.dev/config-reload': JSON.stringify({ hash, ok: false, failures: 3, at: t0.toISOString(), error: 'HTTP 500' }),
      },
    },
    spec: { nodeName: 'n', containers: [{ name: 'agent' }], volumes: [{ name: 'agent-config', configMap: { name: 'shipper-config' } }] },
    status: { podIP: '10.0.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
  };
  const applied = <T>(x: unknown) => withDesiredHash(x as ApplyObject) as unknown as T;
  const o = (podDeletions?: string[]) => {
    const base = observed(a, {
      workload: applied<Workload>(d.workload), service: applied(d.service), pods: [failedPod], configMaps: [applied<V1ConfigMap>(d.configMap)],
      references: { digests: {}, missing: [], configMapTexts: { 'shipper-base/base.yaml': 'level: info\n' } },
    });
    if (!podDeletions) return base;
    const generation = base.agent.metadata.generation ?? 0;
    return { ...base, agent: { ...base.agent, status: { ...base.agent.status, recovery: { ...base.agent.status?.recovery, generation, podDeletions } } } };
  };

  it('is counted in status.recovery.podDeletions', () => {
    const p = plan(o());
    assert.deepEqual(p.deletePod, { name: 'shipper-1', uid: 'u1' });
    assert.deepEqual(p.computed.recovery?.podDeletions, [statusTime(t0.getTime())]);
  });

  it('is not made once the hourly ceiling is reached, and the condition says why', () => {
    const recent = Array.from({ length: 12 }, (_, i) => new Date(t0.getTime() - (i + 1) * 60_000).toISOString()).reverse();
    const p = plan(o(recent));
    assert.equal(p.deletePod, undefined);
    assert.deepEqual(p.computed.recovery?.podDeletions, recent, 'nothing recorded that did not happen');
    const c = p.computed.conditions?.find((x) => x.type === 'ConfigReloaded');
    assert.equal(c?.reason, 'ConfigReloadFailed');
    assert.match(c?.message ?? '', /12 pods deleted within the hour/);
  });

  it('held by the ceiling, comes back the moment the oldest deletion leaves the hour (no event marks it)', () => {
    const recent = Array.from({ length: 12 }, (_, i) => new Date(t0.getTime() - (i + 1) * 60_000).toISOString()).reverse();
    assert.equal(plan(o(recent)).requeueAfterMs, 48 * 60_000, 'the oldest was 12 min ago');
    const lifted = plan({ ...o(recent), now: new Date(t0.getTime() + 48 * 60_000) });
    assert.deepEqual(lifted.deletePod, { name: 'shipper-1', uid: 'u1' }, 'and then the pod is deleted');
  });
});

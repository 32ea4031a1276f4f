import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { desiredObjects } from '../../../src/desired/index.ts';
import { plan } from '../../../src/reconcile/plan.ts';
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

  it('a held rollout (a missing layer ConfigMap) tells no pod', () => {
    const p = plan({ ...o('level: debug\n'), references: { digests: {}, missing: [{ kind: 'ConfigMap', name: 'shipper-base', key: 'base.yaml', optional: false }], configMapTexts: {} } });
    assert.equal(p.tellPods, undefined);
    assert.equal(p.computed.config, undefined);
  });
});

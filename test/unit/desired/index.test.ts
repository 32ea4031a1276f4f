import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import { desiredObjects, type DesiredInputs } from '../../fixtures/desired.ts';
import { agent } from '../../fixtures/agent.ts';

const noInputs: DesiredInputs = { referenceDigests: {}, configLayers: [] };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

describe('desiredObjects', () => {
  it('builds only a Deployment for a minimal Agent, and warns that it has no probes', () => {
    const r = desiredObjects(agent('min').build(), noInputs);
    assert.ok(r.ok);
    assert.deepEqual(Object.keys(r).filter((k) => ['service', 'configMap', 'pvc', 'pdb'].includes(k)), []);
    assert.deepEqual(r.warnings.map((w) => w.reason), ['ProbesMissing']);
    assert.match(r.warnings[0]?.message ?? '', /add spec.health.liveness/);
  });

  it('warns when the only ports are UDP, naming why', () => {
    const r = desiredObjects(agent('udp').port('statsd', 8125, 'UDP').build(), noInputs);
    assert.ok(r.ok);
    assert.match(r.warnings[0]?.message ?? '', /no TCP port for a default probe/);
  });

  it('does not warn when ports give default probes', () => {
    const r = desiredObjects(agent('p').port('http', 80).build(), noInputs);
    assert.ok(r.ok);
    assert.deepEqual(r.warnings, []);
  });

  it('builds every object with apiVersion, kind, name and namespace, as server-side apply needs', () => {
    const a = agent('all').namespace('obs').port('http', 80).replicas(2).inlineConfig({ a: 1 }).storage('1Gi', { accessModes: ['ReadWriteMany'] }).build();
    const r = desiredObjects(a, noInputs);
    assert.ok(r.ok);
    const objects = [r.workload, r.service, r.configMap, r.pvc, r.pdb];
    assert.equal(objects.filter(Boolean).length, 5);
    for (const o of objects) {
      assert.ok(o?.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o?.metadata));
      assert.equal(o?.metadata?.namespace, 'obs');
    }
  });

  it('is pure: the Agent is not touched and the same arguments give equal objects', () => {
    const a = deepFreeze(agent('pure').port('http', 80).secretEnv('TOKEN', 's', 'k').inlineConfig({ a: { b: 1 } }).storage('1Gi').build());
    const i = deepFreeze<DesiredInputs>({ referenceDigests: { 'Secret/s/k': 'd' }, configLayers: [undefined] });
    assert.deepEqual(desiredObjects(a, i), desiredObjects(a, i));
  });

  it('returns no objects when a config layer is invalid, so nothing half-applies', () => {
    const r = desiredObjects(agent('bad').configMapLayer('base', 'a.yaml').build(), { referenceDigests: {}, configLayers: ['[1, 2]'] });
    assert.deepEqual(r, {
      ok: false,
      reason: 'InvalidConfig',
      message: 'config.layers[0] (ConfigMap base, key a.yaml) is a list at the top level, not a mapping: make the key hold a YAML or JSON mapping (key: value lines at the top level)',
    });
  });

  it('returns InvalidSpec for a spec the schema accepts but the pod cannot carry', () => {
    const r = desiredObjects(agent('bad').port('http', 80).liveness({ tcpSocket: { port: 'grpc' } }).build(), noInputs);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'InvalidSpec');
  });

  it('applies the memory override to the Deployment', () => {
    const r = desiredObjects(agent('oom').build(), { ...noInputs, memoryLimitOverride: '384Mi' });
    assert.ok(r.ok);
    assert.equal(r.workload.spec?.template.spec?.containers[0]?.resources?.limits?.memory, '384Mi');
  });

  it('counts the pods of a memory raise available as soon as they are Ready when the pods they replace are being OOM-killed, not while healthy pods serve', () => {
    const cases: [string, Partial<DesiredInputs>, number][] = [
      ['no override', {}, 5],
      ['an override in force', { memoryLimitOverride: '384Mi' }, 0],
      ['an override in force while rolled back', { memoryLimitOverride: '384Mi', podTemplateOverride: { spec: { containers: [{ name: 'agent', image: 'old:1' }] } } }, 0],
      ['an override in force while a healthy older revision serves', { memoryLimitOverride: '384Mi', healthyPodsServing: true }, 5],
    ];
    for (const [title, inputs, expected] of cases) {
      const r = desiredObjects(agent('oom').build(), { ...noInputs, ...inputs });
      assert.ok(r.ok, title);
      assert.equal(r.workload.spec?.minReadySeconds, expected, title);
    }
  });

  it('runs the override template while rolled back, everything else as usual', () => {
    const old: V1PodTemplateSpec = {
      metadata: { labels: { 'pod-template-hash': 'abc', 'app.kubernetes.io/name': 'agent' }, annotations: { 'agent-operator.dev/revision': '0123456789' } },
      spec: { containers: [{ name: 'agent', image: 'old:1' }] },
    };
    const r = desiredObjects(agent('rb').image('new:2').replicas(3).build(), { ...noInputs, podTemplateOverride: old });
    assert.ok(r.ok);
    assert.equal(r.workload.spec?.template.spec?.containers[0]?.image, 'old:1');
    assert.equal(r.workload.spec?.template.metadata?.labels?.['pod-template-hash'], undefined);
    assert.equal((r.workload as V1Deployment).spec?.replicas, 3);
    assert.equal(r.appliedRevision, '0123456789');
    assert.notEqual(r.revision, r.appliedRevision, 'revision stays what the spec asks for');
  });
});

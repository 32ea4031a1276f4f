import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DesiredObjects } from '../../../src/desired/index.ts';
import { desiredObjects, type DesiredInputs } from '../../fixtures/desired.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

// spec.config.reload and spec.config.validate, as the pure builders see them.

const base = agent('shipper').port('http', 2020).configMapLayer('shipper-base', 'base.yaml').inlineConfig({ service: { flush: 5 } });
const inputs = (layer: string): DesiredInputs => ({ referenceDigests: { 'ConfigMap/shipper-base/base.yaml': createHash('sha256').update(layer).digest('hex') }, configLayers: [layer, undefined] });
const built = (a: AgentBuilder, layer = 'level: info\n'): DesiredObjects => {
  const r = desiredObjects(a.build(), inputs(layer));
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r;
};

describe('spec.config.reload', () => {
  it('Restart (the default) names a content-addressed immutable ConfigMap, and a layer change is a new revision', () => {
    const one = built(base);
    const two = built(base, 'level: debug\n');
    assert.match(one.configMap!.metadata.name, /^shipper-config-[0-9a-f]{10}$/);
    assert.equal(one.configMap!.immutable, true);
    assert.notEqual(one.configMap!.metadata.name, two.configMap!.metadata.name);
    assert.notEqual(one.revision, two.revision);
    assert.equal(one.config?.reload.mode, 'Restart');
  });

  for (const mode of ['InPlace', 'HTTP'] as const) {
    it(`${mode} mounts one mutable ConfigMap <agent>-config as a directory, and a layer change leaves the pod template and revision as they are`, () => {
      const a = base.config({ reload: { mode } });
      const one = built(a);
      const two = built(a, 'level: debug\n');
      assert.equal(one.configMap!.metadata.name, 'shipper-config');
      assert.equal(one.configMap!.immutable, undefined, 'mutable: the kubelet refreshes the file from it');
      assert.notDeepEqual(one.configMap!.data, two.configMap!.data);
      assert.deepEqual(one.workload.spec?.template, two.workload.spec?.template, 'no new ReplicaSet');
      assert.equal(one.revision, two.revision);
      const mount = one.workload.spec?.template.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'agent-config');
      assert.equal(mount?.subPath, undefined, 'never subPath: a subPath file is never refreshed');
      assert.equal(one.config?.hash, createHash('sha256').update(one.configMap!.data!['config.yaml']!).digest('hex'), 'the hash is the sha256 of the file the agent reads');
      assert.notEqual(one.config?.hash, two.config?.hash);
    });
  }

  for (const workload of ['DaemonSet', 'StatefulSet'] as const) {
    it(`InPlace in ${workload} mode: a layer change leaves the ${workload}'s pod template as it is (no new ControllerRevision), and its pods mount <agent>-config`, () => {
      const a = base.mode(workload).config({ reload: { mode: 'InPlace' } });
      const one = built(a);
      const two = built(a, 'level: debug\n');
      assert.equal(one.workload.kind, workload);
      assert.deepEqual(one.workload.spec?.template, two.workload.spec?.template);
      assert.equal(one.revision, two.revision);
      assert.deepEqual(one.workload.spec?.template.spec?.volumes?.find((v) => v.name === 'agent-config')?.configMap, { name: 'shipper-config' });
    });
  }

  it('a Secret env change is still a new revision with InPlace', () => {
    const a = base.config({ reload: { mode: 'InPlace' } }).secretEnv('TOKEN', 'shipper-token', 'token');
    const r = (digest: string) => desiredObjects(a.build(), { ...inputs('x: 1\n'), referenceDigests: { ...inputs('x: 1\n').referenceDigests, 'Secret/shipper-token/token': digest } });
    const one = r('a'); const two = r('b');
    assert.ok(one.ok && two.ok);
    assert.notEqual(one.revision, two.revision);
  });

  it('HTTP defaults to POST /-/reload on the first TCP port', () => {
    const r = built(agent('shipper').port('statsd', 8125, 'UDP').port('http', 2020).inlineConfig({ a: 1 }).config({ reload: { mode: 'HTTP' } }));
    assert.deepEqual(r.config?.reload.http, { port: 2020, path: '/-/reload', method: 'POST' });
    assert.equal(r.config?.reload.onFailure, 'RestartPod');
  });

  it('HTTP takes the port, path and method written', () => {
    const r = built(base.config({ reload: { mode: 'HTTP', http: { port: 9000, path: '/api/v2/reload', method: 'PUT' }, onFailure: 'Report' } }));
    assert.deepEqual(r.config?.reload, { mode: 'HTTP', http: { port: 9000, path: '/api/v2/reload', method: 'PUT' }, onFailure: 'Report' });
  });

  it('HTTP with no port written and no TCP port in spec.ports is refused, naming both fixes', () => {
    const r = desiredObjects(agent('shipper').inlineConfig({ a: 1 }).config({ reload: { mode: 'HTTP' } }).build(), { referenceDigests: {}, configLayers: [undefined] });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.reason === 'InvalidSpec');
    assert.match(!r.ok ? r.message : '', /spec\.config\.reload\.http\.port.*spec\.ports/);
  });
});

describe('spec.config.validate', () => {
  it('runs the command in an init container of the agent image, with the config mount and the file path in CONFIG_FILE', () => {
    const r = built(base.storage('1Gi').config({ mountPath: '/fluent-bit/etc/', fileName: 'fluent-bit.yaml', validate: { command: ['fluent-bit', '--dry-run', '-c', '$(CONFIG_FILE)'] } }));
    const pod = r.workload.spec!.template.spec!;
    const [init] = pod.initContainers ?? [];
    assert.equal(pod.initContainers?.length, 1);
    assert.equal(init?.name, 'validate-config');
    assert.equal(init?.image, 'example.com/agent:1.0');
    assert.deepEqual(init?.command, ['fluent-bit', '--dry-run', '-c', '$(CONFIG_FILE)']);
    assert.deepEqual(init?.env, [{ name: 'CONFIG_FILE', value: '/fluent-bit/etc/fluent-bit.yaml' }]);
    assert.deepEqual(init?.volumeMounts?.map((m) => m.name), ['agent-config'], 'the config only, not the state volume');
    assert.deepEqual(init?.securityContext, pod.containers[0]?.securityContext);
    assert.deepEqual(init?.resources, pod.containers[0]?.resources);
    assert.equal(init?.terminationMessagePolicy, 'FallbackToLogsOnError', 'the validator\'s complaint becomes the last words');
  });

  it('without validate there is no init container', () => {
    assert.equal(built(base).workload.spec?.template.spec?.initContainers, undefined);
  });
});

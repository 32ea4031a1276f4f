import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap, V1Deployment, V1Pod, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { configMapsToDelete, type ConfigGcInput } from '../../../src/reconcile/config-gc.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed } from '../../fixtures/observed.ts';

const cm = (name: string): V1ConfigMap => ({ metadata: { name, uid: `uid-${name}` } });
const mounting = (...names: string[]): V1PodSpec => ({ containers: [], volumes: names.map((n, i) => ({ name: `v${i}`, configMap: { name: n } })) });
const rs = (...names: string[]): V1PodTemplateSpec => ({ spec: mounting(...names) });
const pod = (...names: string[]): V1Pod => ({ spec: mounting(...names) });
const deployment = (...names: string[]): V1Deployment => ({ spec: { selector: {}, template: { spec: mounting(...names) } } });

const none: ConfigGcInput = { owned: [], revisions: [], pods: [] };

describe('config garbage collection', () => {
  const table: [string, ConfigGcInput, string[]][] = [
    ['nothing owned, nothing to delete', none, []],
    ['the config the spec asks for is kept, even before anything mounts it', { ...none, owned: [cm('a-config-1')], desired: 'a-config-1' }, []],
    ['a config no ReplicaSet, pod or template mounts and the spec does not ask for is deleted',
      { ...none, owned: [cm('a-config-1'), cm('a-config-2')], desired: 'a-config-2' }, ['a-config-1']],
    ['a config an older ReplicaSet mounts is kept (a rollback target, the last healthy revision among them)',
      { ...none, owned: [cm('a-config-1'), cm('a-config-2')], revisions: [rs('a-config-1'), rs('a-config-2')], desired: 'a-config-2' }, []],
    ['a config the live Deployment template mounts is kept (its ReplicaSet not yet made or cached)',
      { ...none, owned: [cm('a-config-1'), cm('a-config-2')], workload: deployment('a-config-1'), desired: 'a-config-2' }, []],
    ['a config a pod still mounts is kept', { ...none, owned: [cm('a-config-1')], pods: [pod('a-config-1')] }, []],
    ['the fixed-name ConfigMap of an older release is kept while a ReplicaSet mounts it',
      { ...none, owned: [cm('a-config'), cm('a-config-2')], revisions: [rs('a-config'), rs('a-config-2')], desired: 'a-config-2' }, []],
    ['the fixed-name ConfigMap of an older release goes once no ReplicaSet mounts it',
      { ...none, owned: [cm('a-config'), cm('a-config-2')], revisions: [rs('a-config-2')], desired: 'a-config-2' }, ['a-config']],
    ['with config removed from the spec, every config nothing mounts goes',
      { ...none, owned: [cm('a-config-1'), cm('a-config-2')], revisions: [rs('a-config-2')] }, ['a-config-1']],
    ['only the owned ConfigMaps are candidates: a mounted user ConfigMap is never in the answer',
      { ...none, owned: [cm('a-config-1')], revisions: [rs('settings', 'a-config-2')], desired: 'a-config-2' }, ['a-config-1']],
  ];
  for (const [title, input, expected] of table) {
    it(title, () => {
      const out = configMapsToDelete(input);
      assert.deepEqual(out.map((d) => d.name), expected);
      for (const d of out) assert.equal(d.uid, `uid-${d.name}`, 'deleted with a uid precondition');
    });
  }
});

describe('plan: content-addressed config', () => {
  const a = agent('a').inlineConfig({ level: 'info' }).build();
  const first = plan(observed(a));
  const wanted = first.apply.find((o) => o.kind === 'ConfigMap')!;
  const template = (first.apply.find((o) => o.kind === 'Deployment') as V1Deployment).spec!.template;

  it('mounts the ConfigMap named by the content, which is immutable', () => {
    assert.equal(template.spec?.volumes?.find((v) => v.name === 'agent-config')?.configMap?.name, wanted.metadata.name);
    assert.equal((wanted as V1ConfigMap).immutable, true);
  });

  it('a config change writes a new ConfigMap and a new template, and keeps the old one while its ReplicaSet exists', () => {
    const changed = { ...a, metadata: { ...a.metadata, generation: 2 }, spec: { ...a.spec, config: { layers: [{ inline: { level: 'debug' } }] } } };
    const live = { ...wanted, metadata: { ...wanted.metadata, uid: 'u1' } } as V1ConfigMap;
    const p = plan(observed(changed, { configMaps: [live], replicaSets: [{ spec: { selector: {}, template } }] }));
    const next = p.apply.find((o) => o.kind === 'ConfigMap')!;
    assert.notEqual(next.metadata.name, wanted.metadata.name);
    assert.deepEqual(p.remove, []);
    const dropped = plan(observed(changed, { configMaps: [live] }));
    assert.deepEqual(dropped.remove, [{ apiVersion: 'v1', kind: 'ConfigMap', name: wanted.metadata.name, namespace: 'default', uid: 'u1' }]);
  });
});

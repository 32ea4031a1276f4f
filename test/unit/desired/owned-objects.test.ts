import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configMap } from '../../../src/desired/configmap.ts';
import { resolveSpec } from '../../../src/desired/defaults.ts';
import { ownerOf } from '../../../src/desired/meta.ts';
import { pdb } from '../../../src/desired/pdb.ts';
import { pvc } from '../../../src/desired/pvc.ts';
import { service } from '../../../src/desired/service.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

const base = agent('obj');
const parts = (b: AgentBuilder) => {
  const a = b.build();
  return { owner: ownerOf(a), spec: resolveSpec(a.spec) };
};

describe('service', () => {
  it('is built only when enabled and there are ports', () => {
    const none = parts(base);
    assert.equal(service(none.owner, none.spec), undefined);
    const disabled = parts(base.port('http', 80).service({ enabled: false }));
    assert.equal(service(disabled.owner, disabled.spec), undefined);
    const noPorts = parts(base.service({ enabled: true }));
    assert.equal(service(noPorts.owner, noPorts.spec), undefined);
  });

  it('targets the container ports by name and leaves clusterIP to the apiserver', () => {
    const p = parts(base.port('http', 8080).port('dns', 53, 'UDP'));
    const s = service(p.owner, p.spec);
    assert.deepEqual(s?.spec, {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'obj', 'app.kubernetes.io/managed-by': 'agent-operator', 'agent-operator.dev/agent': 'obj' },
      ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }, { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' }],
    });
  });

  it('is headless with clusterIP None', () => {
    const p = parts(base.port('http', 80).service({ type: 'Headless' }));
    assert.equal(service(p.owner, p.spec)?.spec?.clusterIP, 'None');
  });

  it('gets a DNS-1035 name for a dotted Agent', () => {
    const p = parts(agent('logs.v2').port('http', 80));
    assert.match(service(p.owner, p.spec)?.metadata?.name ?? '', /^logs-v2-[0-9a-f]{8}$/);
  });
});

describe('configMap', () => {
  it('holds the rendered config under the file name, owned by the Agent', () => {
    const p = parts(base.inlineConfig({ a: 1 }).config({ fileName: 'agent.json' }));
    const c = configMap(p.owner, p.spec.config!, '{}\n');
    assert.deepEqual(c.data, { 'agent.json': '{}\n' });
    assert.match(c.metadata?.name ?? '', /^obj-config-[0-9a-f]{10}$/);
    assert.equal(c.metadata?.ownerReferences?.[0]?.controller, true);
  });

  it('is immutable and named by its content: the same config one name, a changed byte or file name another', () => {
    const p = parts(base.inlineConfig({ a: 1 }));
    const a = configMap(p.owner, p.spec.config!, 'a: 1\n');
    assert.equal(a.immutable, true);
    assert.equal(configMap(p.owner, p.spec.config!, 'a: 1\n').metadata.name, a.metadata.name);
    assert.notEqual(configMap(p.owner, p.spec.config!, 'a: 2\n').metadata.name, a.metadata.name);
    assert.notEqual(configMap(p.owner, { ...p.spec.config!, fileName: 'other.yaml' }, 'a: 1\n').metadata.name, a.metadata.name);
  });
});

describe('pvc', () => {
  it('is not owned when retained, so it survives the Agent, and maps back by label and annotation', () => {
    const p = parts(base.storage('5Gi'));
    const c = pvc(p.owner, p.spec.storage!);
    assert.equal(c.metadata?.ownerReferences, undefined);
    assert.equal(c.metadata?.labels?.['agent-operator.dev/agent'], 'obj');
    assert.equal(c.metadata?.annotations?.['agent-operator.dev/agent-name'], 'obj');
    assert.deepEqual(c.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } });
  });

  it('is owned when retainOnDelete is false, so it goes with the Agent', () => {
    const p = parts(base.storage('5Gi', { retainOnDelete: false }));
    assert.equal(pvc(p.owner, p.spec.storage!).metadata?.ownerReferences?.[0]?.uid, p.owner.uid);
  });

  it('sends storageClassName only when set', () => {
    const p = parts(base.storage('5Gi', { storageClassName: 'fast', accessModes: ['ReadWriteMany'] }));
    assert.deepEqual(pvc(p.owner, p.spec.storage!).spec, { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast' });
  });
});

describe('pdb', () => {
  const table: [string, AgentBuilder, object | undefined][] = [
    ['no budget for one replica', base, undefined],
    ['no budget for zero replicas', base.replicas(0), undefined],
    ['maxUnavailable 1 for several replicas by default', base.replicas(3), { maxUnavailable: 1 }],
    ['minAvailable as given', base.replicas(3).minAvailable('50%'), { minAvailable: '50%' }],
    ['a numeric string minAvailable as a number', base.replicas(3).minAvailable('2'), { minAvailable: 2 }],
  ];
  for (const [title, b, budget] of table) {
    it(title, () => {
      const p = parts(b);
      const got = pdb(p.owner, p.spec);
      if (budget === undefined) return assert.equal(got, undefined);
      assert.equal(got?.apiVersion, 'policy/v1');
      assert.deepEqual(got?.spec, { selector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'obj', 'app.kubernetes.io/managed-by': 'agent-operator', 'agent-operator.dev/agent': 'obj' } }, ...budget, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    });
  }
});

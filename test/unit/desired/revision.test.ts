import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { desiredObjects, type DesiredInputs } from '../../fixtures/desired.ts';
import { revision } from '../../../src/desired/revision.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

const forwarder = agent('fwd').secretEnv('TOKEN', 'loki', 'token').configMapLayer('base', 'agent.yaml').inlineConfig({ level: 'info' });
const inputs: DesiredInputs = {
  referenceDigests: { 'Secret/loki/token': 'd1', 'ConfigMap/base/agent.yaml': 'c1' },
  configLayers: ['output: loki\n', undefined],
};

function rev(b: AgentBuilder, i: Partial<DesiredInputs> = {}): string {
  const r = desiredObjects(b.build(), { ...inputs, ...i });
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.revision;
}

describe('revision', () => {
  it('is 10 hex digits', () => assert.match(rev(forwarder), /^[0-9a-f]{10}$/));

  it('a rotated secret key changes the revision', () => {
    assert.notEqual(rev(forwarder), rev(forwarder, { referenceDigests: { ...inputs.referenceDigests, 'Secret/loki/token': 'd2' } }));
  });

  it('an unrelated key of the same Secret leaves the revision unchanged', () => {
    assert.equal(rev(forwarder), rev(forwarder, { referenceDigests: { ...inputs.referenceDigests, 'Secret/loki/other': 'x' } }));
  });

  it('an unrelated Secret leaves the revision unchanged', () => {
    assert.equal(rev(forwarder), rev(forwarder, { referenceDigests: { ...inputs.referenceDigests, 'Secret/unrelated': 'x', 'Secret/unrelated/k': 'y' } }));
  });

  it('a whole-Secret change rolls an envFrom Agent', () => {
    const b = forwarder.envFromSecret('extra');
    assert.notEqual(rev(b, { referenceDigests: { ...inputs.referenceDigests, 'Secret/extra': 'e1' } }), rev(b, { referenceDigests: { ...inputs.referenceDigests, 'Secret/extra': 'e2' } }));
  });

  it('a changed ConfigMap layer changes the revision', () => {
    assert.notEqual(rev(forwarder), rev(forwarder, { referenceDigests: { ...inputs.referenceDigests, 'ConfigMap/base/agent.yaml': 'c2' }, configLayers: ['output: stdout\n', undefined] }));
  });

  it('an edited inline layer changes the revision, though the pod template text does not change', () => {
    const edited = agent('fwd').secretEnv('TOKEN', 'loki', 'token').configMapLayer('base', 'agent.yaml').inlineConfig({ level: 'debug' });
    assert.notEqual(rev(forwarder), rev(edited));
  });

  it('a new image changes the revision', () => assert.notEqual(rev(forwarder), rev(forwarder.image('example.com/agent:2'))));

  it('replicas and holding for dependencies leave the revision unchanged (they roll no pod)', () => {
    assert.equal(rev(forwarder), rev(forwarder.replicas(0)));
    assert.equal(rev(forwarder), rev(forwarder, { holdForDependencies: true }));
  });

  it('a memory override changes the revision, since it changes the pods', () => {
    assert.notEqual(rev(forwarder), rev(forwarder, { memoryLimitOverride: '384Mi' }));
  });

  it('object key order never changes the revision', () => {
    const one: V1PodTemplateSpec = { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'agent', image: 'x' }] } };
    const two: V1PodTemplateSpec = { spec: { containers: [{ image: 'x', name: 'agent' }] }, metadata: { labels: { b: '2', a: '1' } } };
    assert.equal(revision(one, { y: '1', x: '2' }), revision(two, { x: '2', y: '1' }));
  });

  it('ignores its own annotation, so recomputing from the applied template gives the same revision', () => {
    const t: V1PodTemplateSpec = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'agent', image: 'x' }] } };
    const r = revision(t, {});
    assert.equal(revision({ ...t, metadata: { ...t.metadata, annotations: { 'agent-operator.dev/revision': r } } }, {}), r);
  });

  it('is the revision annotation on the pod template', () => {
    const r = desiredObjects(forwarder.build(), inputs);
    assert.ok(r.ok);
    assert.equal(r.workload.spec?.template.metadata?.annotations?.['agent-operator.dev/revision'], r.revision);
  });
});

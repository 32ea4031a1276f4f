import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestKey, digestKeys, referencedNames, references } from '../../../src/desired/references.ts';
import { agent } from '../../fixtures/agent.ts';

const base = agent('refs');

describe('references', () => {
  it('finds nothing in a minimal Agent', () => {
    assert.deepEqual(references(base.build().spec), { secrets: [], configMaps: [] });
  });

  it('collects env refs, envFrom, config layers and podTemplate volumes', () => {
    const spec = base
      .secretEnv('TOKEN', 'loki', 'token')
      .configMapEnv('LEVEL', 'settings', 'level', { optional: true })
      .fieldEnv('POD', 'metadata.name')
      .envFromSecret('extra', { prefix: 'X_' })
      .envFromConfigMap('flags', { optional: true })
      .configMapLayer('base', 'agent.yaml')
      .inlineConfig({ a: 1 })
      .podTemplate({ volumes: [{ name: 'certs', secret: { secretName: 'tls' } }, { name: 'rules', configMap: { name: 'rules', optional: true } }, { name: 'tmp', emptyDir: {} }] })
      .build().spec;
    assert.deepEqual(references(spec), {
      secrets: [{ name: 'extra', optional: false }, { name: 'loki', key: 'token', optional: false }, { name: 'tls', optional: false }],
      configMaps: [
        { name: 'base', key: 'agent.yaml', optional: false },
        { name: 'flags', optional: true },
        { name: 'rules', optional: true },
        { name: 'settings', key: 'level', optional: true },
      ],
    });
  });

  it('counts a reference once, required when any use is required', () => {
    const spec = base.secretEnv('A', 's', 'k', { optional: true }).secretEnv('B', 's', 'k').secretEnv('C', 's', 'other', { optional: true }).build().spec;
    assert.deepEqual(references(spec).secrets, [{ name: 's', key: 'k', optional: false }, { name: 's', key: 'other', optional: true }]);
  });

  it('gives the same answer whatever the order in the spec', () => {
    const one = base.secretEnv('A', 'b', 'k').secretEnv('B', 'a', 'k').build().spec;
    const two = base.secretEnv('B', 'a', 'k').secretEnv('A', 'b', 'k').build().spec;
    assert.deepEqual(references(one), references(two));
  });

  it('keys digests as kind/name/key, or kind/name for a whole object', () => {
    assert.equal(digestKey('Secret', { name: 'loki', key: 'token' }), 'Secret/loki/token');
    assert.equal(digestKey('Secret', { name: 'extra' }), 'Secret/extra');
    assert.equal(digestKey('ConfigMap', { name: 'base', key: 'agent.yaml' }), 'ConfigMap/base/agent.yaml');
    const refs = references(base.secretEnv('T', 'loki', 'token').envFromSecret('extra').configMapLayer('base', 'a.yaml').build().spec);
    assert.deepEqual(digestKeys(refs), ['ConfigMap/base/a.yaml', 'Secret/extra', 'Secret/loki/token']);
  });

  it('lists referenced object names once each, for the Secret/ConfigMap -> Agent index', () => {
    const refs = references(base.secretEnv('A', 's', 'k1').secretEnv('B', 's', 'k2').configMapLayer('c', 'k').build().spec);
    assert.deepEqual(referencedNames(refs), { secrets: ['s'], configMaps: ['c'] });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Agent } from '../../../src/api/agent.ts';
import { renderConfig } from '../../../src/desired/config.ts';
import type { ResolvedConfig } from '../../../src/desired/defaults.ts';

// Issue 9, defect 3: free-form fields (inline config, affinity, security
// contexts) are bounded in depth, and the rendered config in size, with an
// error that names the field and the fix, and the bounds are checked without
// recursing into the untrusted value.

/** `depth` mappings, one inside the other: depth 1 is { a: 'x' }. */
function nested(depth: number): Record<string, unknown> {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v as Record<string, unknown>;
}

const agentWith = (spec: Record<string, unknown>) => ({
  apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: 'a', namespace: 'ns' }, spec: { image: 'example.com/agent:1', ...spec },
});
const problems = (spec: Record<string, unknown>) => {
  const r = Agent.safeParse(agentWith(spec));
  return r.success ? [] : r.error.issues.map((i) => `spec.${i.path.slice(1).join('.')}: ${i.message}`);
};

describe('bounds on free-form fields', () => {
  it('accepts inline config 32 levels deep', () => {
    assert.deepEqual(problems({ config: { layers: [{ inline: nested(32) }] } }), []);
  });

  it('refuses inline config 33 and 10,000 levels deep, naming the field and the fix', () => {
    for (const depth of [33, 10_000]) {
      assert.deepEqual(problems({ config: { layers: [{ inline: nested(depth) }] } }), [
        'spec.config.layers.0.inline: nested more than 32 levels deep: flatten it (config data can move into a ConfigMap layer)',
      ]);
    }
  });

  it('counts lists as levels too', () => {
    let v: unknown = 'x';
    for (let i = 0; i < 40; i++) v = [v];
    assert.equal(problems({ config: { layers: [{ inline: { v } }] } }).length, 1);
  });

  it('refuses a deep affinity the same way', () => {
    assert.deepEqual(problems({ podTemplate: { affinity: nested(100) } }), [
      'spec.podTemplate.affinity: nested more than 32 levels deep: flatten it (config data can move into a ConfigMap layer)',
    ]);
  });

  it('refuses an inline layer over 256 KiB, naming the layer and the fix', () => {
    assert.deepEqual(problems({ config: { layers: [{ inline: { blob: 'x'.repeat(256 * 1024) } }] } }), [
      'spec.config.layers.0.inline: 262155 bytes as JSON, over the 262144 (256 KiB) a rendered config may have: move large data into a volume (podTemplate.volumes)',
    ]);
  });
});

describe('renderConfig bounds', () => {
  const config = (layers: ResolvedConfig['layers']): ResolvedConfig => ({ mountPath: '/etc/agent', fileName: 'config.yaml', layers, reload: { mode: 'Restart', onFailure: 'RestartPod' } });

  it('refuses a ConfigMap layer nested 10,000 levels deep instead of overflowing the stack', () => {
    const text = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const r = renderConfig(config([{ configMap: { name: 'base', key: 'c.json' } }]), [text]);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'InvalidConfig');
      assert.match(r.message, /^config\.layers\[0\] \(ConfigMap base, key c\.json\) is nested more than 32 levels deep/);
    }
  });

  it('refuses an inline layer nested too deep even when the schema was not asked', () => {
    const r = renderConfig(config([{ inline: nested(10_000) }]), [undefined]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /^config\.layers\[0\] \(inline\) is nested more than 32 levels deep: flatten it/);
  });

  it('refuses a merged config over 256 KiB', () => {
    const r = renderConfig(config([{ inline: { a: 'x'.repeat(200 * 1024) } }, { inline: { b: 'y'.repeat(100 * 1024) } }]), [undefined, undefined]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /^the merged config is \d+ bytes, over the 262144 \(256 KiB\) allowed: move large data out of spec\.config/);
  });
});

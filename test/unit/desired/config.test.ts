import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { maxRenderedConfigBytes } from '../../../src/api/bounds.ts';
import { parseLayer, render, renderConfig } from '../../../src/desired/config.ts';
import type { ResolvedConfig } from '../../../src/desired/defaults.ts';

const config = (layers: ResolvedConfig['layers'], fileName = 'config.yaml'): ResolvedConfig => ({ mountPath: '/etc/agent', fileName, layers, reload: { mode: 'Restart', onFailure: 'RestartPod' } });
const cm = (name: string, key: string) => ({ configMap: { name, key } });

describe('parseLayer', () => {
  const table: [string, string, ReturnType<typeof parseLayer>][] = [
    ['reads a YAML mapping', 'a: 1\nb: [x, y]\n', { ok: true, value: { a: 1, b: ['x', 'y'] } }],
    ['reads JSON, which is YAML', '{"a": {"b": true}}', { ok: true, value: { a: { b: true } } }],
    ['reads YAML 1.2: yes and on stay strings', 'a: yes\nb: on\nc: 0777\n', { ok: true, value: { a: 'yes', b: 'on', c: 777 } }],
    ['reads an empty document as an empty mapping', '# only a comment\n', { ok: true, value: {} }],
    ['refuses a list at the top level', '- a\n- b\n', { ok: false, problem: 'is a list at the top level, not a mapping' }],
    ['refuses a scalar at the top level', 'just text', { ok: false, problem: 'is a string at the top level, not a mapping' }],
    ['refuses several documents in one key', 'a: 1\n---\nb: 2\n', { ok: false, problem: 'holds more than one YAML document (a --- separator)' }],
    ['keeps YAML 1.1 tags as plain strings, so the value renders as JSON too', 'a: !!binary aGVsbG8=\n', { ok: true, value: { a: 'aGVsbG8=' } }],
    ['refuses a mapping nested deeper than 32 levels', Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1', { ok: false, problem: 'is nested more than 32 levels deep' }],
    ['refuses nesting so deep that it would overflow the stack, with the same words', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`, { ok: false, problem: 'is nested more than 32 levels deep' }],
  ];
  for (const [title, text, expected] of table) {
    it(title, () => assert.deepEqual(parseLayer(text), expected));
  }

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [1,1,1,1,1,1,1,1,1]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    const r = parseLayer(bomb);
    assert.equal(r.ok, false);
  });

  it('refuses duplicate keys and broken YAML with the position, not the content', () => {
    for (const text of ['a: 1\na: 2\n', 'a: [1, 2\n', 'a: b: c\n']) {
      const r = parseLayer(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) {
        assert.match(r.problem, /^is not valid YAML \(.*line \d+/);
        assert.doesNotMatch(r.problem, /\n/);
      }
    }
  });
});

describe('renderConfig', () => {
  it('merges layers in order, later wins, and renders YAML', () => {
    const r = renderConfig(
      config([cm('base', 'agent.yaml'), { inline: { output: { host: 'loki' } } }, cm('override', 'agent.yaml')]),
      ['output:\n  host: localhost\n  port: 3100\ninputs: [tail]\n', undefined, 'inputs: [tail, journald]\n'],
    );
    assert.deepEqual(r, { ok: true, content: 'output:\n  host: loki\n  port: 3100\ninputs:\n  - tail\n  - journald\n' });
  });

  it('passes by a layer with neither configMap nor inline (what is left of a layer whose ConfigMap name the schema refused)', () => {
    const r = renderConfig(config([{ inline: { a: 1 } }, {}]), [undefined, undefined]);
    assert.deepEqual(r, { ok: true, content: 'a: 1\n' });
  });

  it('renders JSON when the file name ends in .json', () => {
    const r = renderConfig(config([{ inline: { b: 1, a: [true] } }], 'agent.json'), [undefined]);
    assert.deepEqual(r, { ok: true, content: '{\n  "b": 1,\n  "a": [\n    true\n  ]\n}\n' });
  });

  it('quotes strings a YAML 1.1 parser would misread', () => {
    const content = render({ a: 'yes', b: 'on', c: '0777', d: 'y', e: true }, 'x.yaml');
    assert.equal(content, 'a: "yes"\nb: "on"\nc: "0777"\nd: "y"\ne: true\n');
    assert.deepEqual(parse(content, { version: '1.1' }), parse(content, { version: '1.2' }));
  });

  it('renders the same bytes for the same layers', () => {
    const layers = config([cm('a', 'k'), { inline: { z: 1, a: { c: 1, b: 2 } } }]);
    const texts = ['m: 1\nn: [1, 2]\n', undefined];
    assert.equal((renderConfig(layers, texts) as { content: string }).content, (renderConfig(layers, texts) as { content: string }).content);
  });

  it('writes shared values out in full, without YAML anchors', () => {
    const shared = { x: 1 };
    const content = render({ a: shared, b: shared }, 'c.yaml');
    assert.doesNotMatch(content, /[&*]/);
  });

  it('names the layer, ConfigMap, key and fix when a layer is not a mapping', () => {
    const r = renderConfig(config([{ inline: { a: 1 } }, cm('shared', 'base.yaml')]), [undefined, '- a\n']);
    assert.deepEqual(r, {
      ok: false,
      reason: 'InvalidConfig',
      message: 'config.layers[1] (ConfigMap shared, key base.yaml) is a list at the top level, not a mapping: make the key hold a YAML or JSON mapping (key: value lines at the top level)',
    });
  });

  it('reports a ConfigMap layer whose text was not read as ConfigMapNotFound', () => {
    const r = renderConfig(config([cm('missing', 'k')]), []);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'ConfigMapNotFound');
      assert.match(r.message, /config\.layers\[0\] \(ConfigMap missing, key k\)/);
    }
  });

  it('refuses a rendering over the 256 KiB allowed', () => {
    const r = renderConfig(config([{ inline: { blob: 'x'.repeat(maxRenderedConfigBytes) } }]), [undefined]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /over the 262144 \(256 KiB\) allowed/);
  });
});

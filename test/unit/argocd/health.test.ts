// The Argo CD health check for Agent, run by gopher-lua (Lua 5.1, what Argo CD
// itself embeds) through hack/tools/lua, against the fixtures in Argo CD's own
// resource_customizations layout. Each case runs both as an argocd-cm script
// (no string library) and as a built-in one (all standard libraries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { goAvailable, goTool } from '../../support/go-tool.ts';

const root = join(import.meta.dirname, '../../..');
const checkDir = join(root, 'argocd/resource_customizations/agent-operator.dev/Agent');

interface Result { status?: string; message?: string; error?: string }
interface Case { inputPath: string; expected: { status: string; message?: string }; results: Record<string, Result> }

function run(dir: string): Case[] {
  const out = execFileSync(goTool('lua', 'lua-runner'), [dir], { encoding: 'utf8' });
  return (JSON.parse(out) as { cases: Case[] }).cases;
}

const skip = goAvailable() ? false : 'the go command is missing: cannot build the gopher-lua runner (hack/tools/lua)';

test('every health_test.yaml case gives the expected status and message, as argocd-cm script and as built-in', { skip }, () => {
  const cases = run(checkDir);
  assert.ok(cases.length >= 6, 'health_test.yaml lists the cases');
  for (const c of cases) {
    for (const mode of ['argocd-cm', 'built-in']) {
      const got = c.results[mode];
      assert.ok(got, `${c.inputPath}: no ${mode} result`);
      assert.equal(got.error, undefined, `${c.inputPath} (${mode}) raised a Lua error: ${got.error}`);
      assert.deepEqual({ status: got.status, message: got.message }, c.expected, `${c.inputPath} (${mode})`);
    }
  }
});

test('the fixtures cover Healthy, Progressing, Degraded and Suspended, and every fixture is a test case', () => {
  const spec = parse(readFileSync(join(checkDir, 'health_test.yaml'), 'utf8')) as { tests: { inputPath: string; healthStatus: { status: string } }[] };
  const statuses = new Set(spec.tests.map((t) => t.healthStatus.status));
  for (const s of ['Healthy', 'Progressing', 'Degraded', 'Suspended']) assert.ok(statuses.has(s), `no case for ${s}`);
  const listed = new Set(spec.tests.map((t) => t.inputPath));
  for (const f of readdirSync(join(checkDir, 'testdata'))) assert.ok(listed.has(`testdata/${f}`), `testdata/${f} is not in health_test.yaml`);
  for (const name of ['healthy', 'progressing', 'degraded', 'suspended', 'no-status', 'stale-generation']) {
    assert.ok(listed.has(`testdata/${name}.yaml`), `fixture ${name}.yaml is missing`);
  }
});

test('objects with missing or oddly typed fields give a valid status, never a Lua error', { skip }, () => {
  const odd: Record<string, unknown> = {
    'empty-object': {},
    'status-is-a-string': { metadata: { generation: 1 }, status: 'Running' },
    'conditions-not-a-list': { metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: 'Ready' } },
    'condition-entries-not-tables': { metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: ['Ready', 3, null] } },
    'generation-is-a-string': { metadata: { generation: '2' }, status: { observedGeneration: 1 } },
    'spec-is-null': { spec: null, status: { observedGeneration: 1, phase: 'Failed' } },
    'last-failure-without-reason': { metadata: { generation: 1 }, status: { observedGeneration: 1, phase: 'Failed', lastFailure: {} } },
    'metadata-missing': { status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] } },
  };
  const dir = mkdtempSync(join(tmpdir(), 'agent-health-'));
  try {
    copyFileSync(join(checkDir, 'health.lua'), join(dir, 'health.lua'));
    mkdirSync(join(dir, 'testdata'));
    const tests = Object.entries(odd).map(([name, obj]) => {
      writeFileSync(join(dir, 'testdata', `${name}.yaml`), stringify(obj));
      return { inputPath: `testdata/${name}.yaml`, healthStatus: { status: 'any' } };
    });
    writeFileSync(join(dir, 'health_test.yaml'), stringify({ tests }));
    const cases = run(dir);
    assert.deepEqual(cases.map((c) => c.inputPath).sort(), tests.map((t) => t.inputPath).sort(), 'the runner ran every odd object');
    for (const c of cases) {
      for (const mode of ['argocd-cm', 'built-in']) {
        const got = c.results[mode];
        assert.ok(got, `${c.inputPath}: no ${mode} result`);
        assert.equal(got.error, undefined, `${c.inputPath} (${mode}) raised a Lua error: ${got.error}`);
        assert.ok(['Healthy', 'Progressing', 'Degraded', 'Suspended'].includes(got.status ?? ''), `${c.inputPath} (${mode}): ${got.status}`);
        assert.ok(got.message, `${c.inputPath} (${mode}) has no message`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

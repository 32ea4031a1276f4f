// The Agent's status judged by sigs.k8s.io/cli-utils/pkg/kstatus, the library
// Flux's health checks (Kustomization `wait: true`, `healthChecks`) and
// cli-utils' appliers use: run for real through hack/tools/kstatus, over the
// Argo CD health check's fixtures and over statuses the operator's own
// computeStatus writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { computeStatus, type StatusInput } from '../../../src/status/compute.ts';
import { goAvailable, goTool } from '../../support/go-tool.ts';
import { crash, deployment, statusInput } from '../status/fixtures.ts';

const root = join(import.meta.dirname, '../../..');
const fixtures = join(root, 'argocd/resource_customizations/agent-operator.dev/Agent/testdata');

interface Result { file: string; status?: string; message?: string; error?: string }

function kstatus(files: string[]): Map<string, Result> {
  const out = execFileSync(goTool('kstatus', 'kstatus-runner'), files, { encoding: 'utf8' });
  return new Map((JSON.parse(out) as { results: Result[] }).results.map((r) => [basename(r.file, '.yaml'), r]));
}

const skip = goAvailable() ? false : 'the go command is missing: cannot build the kstatus runner (hack/tools/kstatus)';

test('kstatus reads the Argo CD fixtures as Current when Ready, InProgress while reconciling, Failed when Stalled', { skip }, () => {
  // What kstatus says, and why, per fixture. Three read Current though Argo CD
  // calls them Degraded or Progressing: kstatus decides only from
  // observedGeneration, Reconciling, Stalled and Ready, and these hand-made
  // objects carry none that says otherwise (docs/flux.md says what that means).
  const expected: Record<string, string> = {
    healthy: 'Current', // Ready True, Reconciling and Stalled False
    progressing: 'InProgress', // Reconciling True
    'stale-generation': 'InProgress', // observedGeneration behind metadata.generation
    'waiting-for-dependency': 'InProgress', // Ready False, nothing stalled
    degraded: 'Failed', // Stalled True: recovery exhausted, the operator holds
    suspended: 'Current', // Unmanaged: Ready reports what runs
    'degraded-rolled-back': 'InProgress', // Ready False (RolledBack) as the operator writes it, nothing stalled
    'failed-no-conditions': 'Current', // no conditions at all: kstatus cannot see the phase
    'malformed-status': 'Current', // a Ready condition without a status
    'no-status': 'Current', // no status yet: see docs/flux.md, the wait starts after the first status
    'daemonset-healthy': 'Current', // the same rule in every mode
    'daemonset-degraded': 'InProgress', // Ready False while the raise rolls over the failing nodes, nothing stalled
    'statefulset-rolled-back': 'InProgress', // Ready False (RolledBack), nothing stalled: Flux fails only at its timeout (docs/flux.md)
  };
  const files = readdirSync(fixtures).map((f) => join(fixtures, f));
  const got = kstatus(files);
  assert.deepEqual(Object.keys(expected).sort(), [...got.keys()].sort(), 'every fixture has an expectation');
  for (const [name, status] of Object.entries(expected)) {
    const r = got.get(name)!;
    assert.equal(r.error, undefined, `${name}: kstatus could not read it: ${r.error}`);
    assert.equal(r.status, status, `${name}: ${r.message}`);
  }
  assert.equal(got.get('degraded')!.message, '3 restarts used up and no healthy revision to roll back to; fix the image or command and change the spec');
});

test('the status the operator writes reads Current, InProgress or Failed as its conditions say', { skip }, () => {
  const hold: Partial<StatusInput> = {
    workload: deployment({ ready: 2 }), failures: [crash('agent-b')],
    decision: { action: { type: 'Hold' }, recovery: { generation: 2, lastAction: 'Hold', restartAttempts: 3 }, fresh: [] },
  };
  const cases: Record<string, { input: Partial<StatusInput>; status: string }> = {
    'all-ready': { input: {}, status: 'Current' },
    'memory-override': { input: { decision: { action: { type: 'None' }, recovery: { generation: 2, memoryLimit: '356Mi' }, fresh: [] } }, status: 'Current' },
    'rolling-out': { input: { workload: deployment({ updated: 1, ready: 3, progressing: 'ReplicaSetUpdated' }) }, status: 'InProgress' },
    'deployment-behind': { input: { workload: deployment({ observed: false }) }, status: 'InProgress' },
    'secret-missing': { input: { workload: deployment({ revision: 'rev1' }), missingReferences: [{ kind: 'Secret', name: 'agent-creds', key: 'token' }] }, status: 'InProgress' },
    // a failure being remediated is not yet a verdict: Ready False, nothing stalled
    'one-pod-crashing': { input: { workload: deployment({ ready: 2 }), failures: [crash('agent-b')] }, status: 'InProgress' },
    'rollback-in-force': {
      input: { workload: deployment({ revision: 'rev1' }), decision: { action: { type: 'None' }, recovery: { generation: 2, lastAction: 'Rollback', rolledBackFrom: 'rev2', rolledBackTo: 'rev1' }, fresh: [] } },
      status: 'InProgress',
    },
    'deadline-exceeded': { input: { workload: deployment({ updated: 1, ready: 2, progressing: 'ProgressDeadlineExceeded' }) }, status: 'Failed' },
    'recovery-exhausted': { input: hold, status: 'Failed' },
    'invalid-config': { input: { configErrors: [{ layer: 0, problem: 'line 3: bad indentation' }] }, status: 'Failed' },
  };
  const dir = mkdtempSync(join(tmpdir(), 'agent-kstatus-'));
  try {
    const files = Object.entries(cases).map(([name, c]) => {
      const input = statusInput(c.input);
      const agent = {
        apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent',
        metadata: { name: 'agent', namespace: 'agents', generation: input.generation },
        spec: { image: 'registry.example/agent:v2' },
        status: computeStatus(input),
      };
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify(agent));
      return file;
    });
    const got = kstatus(files);
    for (const [name, c] of Object.entries(cases)) {
      const r = got.get(name)!;
      assert.equal(r.error, undefined, `${name}: kstatus could not read it: ${r.error}`);
      assert.equal(r.status, c.status, `${name}: ${r.message}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

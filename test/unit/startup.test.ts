// What a user sees when the operator cannot start: one line naming what is
// missing and how to give it, and exit code 2 — never a stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const main = join(import.meta.dirname, '../../src/main.ts');
const home = mkdtempSync(join(tmpdir(), 'agent-operator-startup-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** Runs the operator with nothing of this machine's Kubernetes setup visible. */
function start(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, ...env };
  const child = spawn(process.execPath, [main], { env: clean, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

// Concurrent: each case loads the whole operator, seconds on a busy machine.
describe('operator startup', { concurrency: true }, () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['no KUBECONFIG, no ~/.kube/config and not in a pod', {}, /^agent-operator: no Kubernetes configuration: set KUBECONFIG or --kubeconfig/],
    ['a KUBECONFIG that does not exist', { KUBECONFIG: join(home, 'missing') }, /^agent-operator: .*missing/],
    ['a kubeconfig without a current context', { KUBECONFIG: join(home, 'empty') }, /^agent-operator: kubeconfig .* has no current cluster: set current-context/],
  ];
  writeFileSync(join(home, 'empty'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  for (const [title, env, message] of cases) {
    it(`refuses to start with one line and exit code 2 given ${title}`, async () => {
      const r = await start(env);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  }
});

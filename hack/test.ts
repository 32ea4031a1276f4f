// The README's test command (`make test` -> `npm test` -> this file).
//   node hack/test.ts            typecheck, generated files, unit, e2e
//   node hack/test.ts --unit     typecheck, generated files, unit
//   node hack/test.ts --e2e      e2e only
// e2e runs on a fresh local control plane (hack/cluster) unless
// E2E_USE_KUBECONFIG=1, in which case it runs on $KUBECONFIG (kind, a real cluster).
// Every step runs even when an earlier one failed, so one run shows all failures;
// the last line sums the test counts of all runs.
import { spawn, spawnSync } from 'node:child_process';
import { globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const root = join(import.meta.dirname, '..');
// The pinned Node 24 and tsc come first, however this file was started.
process.env.PATH = `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`;
const args = new Set(process.argv.slice(2));
const only = args.has('--unit') ? 'unit' : args.has('--e2e') ? 'e2e' : 'all';
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedSteps: string[] = [];

/** Runs one step; `buffered` holds its output until it ends (a step running beside others). */
function run(step: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env, buffered = false): Promise<number> {
  const header = `\n=== ${step}: ${cmd} ${argv.join(' ')}`;
  if (buffered) console.log(`\n=== ${step}: started beside the steps below; its output follows when it ends`);
  else console.log(header);
  const out: Buffer[] = [];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    // the summary lines, as they pass: a long list of failures after them
    // would push them out of any fixed-size tail
    const summary: Record<string, number> = {};
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (buffered) out.push(chunk);
      else process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        // node's spec reporter closes with "ℹ pass N" / "ℹ fail N" / "ℹ skipped N"
        const m = /^ℹ (pass|fail|skipped) (\d+)$/.exec(line);
        if (m) summary[m[1]!] = Number(m[2]);
      }
    });
    child.on('close', (code) => {
      if (buffered) {
        console.log(header);
        process.stdout.write(Buffer.concat(out));
      }
      const count = (word: string) => summary[word] ?? 0;
      totals.passed += count('pass');
      totals.failed += count('fail');
      totals.skipped += count('skipped');
      console.log(`=== ${step}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
      if (code !== 0) failedSteps.push(step);
      resolve(code ?? 1);
    });
  });
}

/** Whether this machine can run the real node (E2E_REAL_NODE=0 turns it off). */
function realNodeVerdict(): { ok: true } | { ok: false; why: string } {
  if (process.env.E2E_REAL_NODE === '0') return { ok: false, why: 'E2E_REAL_NODE=0' };
  const check = spawnSync(join(root, 'hack/real-node'), ['check'], { encoding: 'utf8' });
  return check.status === 0 ? { ok: true } : { ok: false, why: (check.stdout + check.stderr).trim() || `hack/real-node check exited ${check.status}` };
}

const nodeTest = (files: string[], extra: string[] = []) =>
  ['--test', '--test-reporter=spec', ...extra, ...files];

// The real node joins the e2e cluster wherever this machine can run one
// (root, cgroups); elsewhere its tests skip with the reason printed here and
// in each test. Its host-level guarantees (start over a killed node's
// leftovers, leave nothing after down) need the machine's one real node to
// themselves, before the shared cluster takes it: that test mostly waits on
// processes, so it runs beside the CPU-bound unit tests.
const localCluster = only !== 'unit' && process.env.E2E_USE_KUBECONFIG !== '1';
const realNode = localCluster ? realNodeVerdict() : undefined;
const hostStep = realNode?.ok ? run('real node on this host', 'node', nodeTest(['test/host/**/*.test.ts']), process.env, only === 'all') : undefined;

if (only !== 'e2e') {
  await run('typecheck', 'tsc', ['--noEmit', '-p', 'tsconfig.json']);
  await run('generated files are current', 'node', ['hack/generate.ts', '--check']);
  await run('unit tests', 'node', nodeTest(['test/unit/**/*.test.ts']));
  await run('image tools unit tests (Go)', 'go', ['-C', 'hack/tools/images', 'test', './...']);
}

if (only !== 'unit') {
  const useExisting = process.env.E2E_USE_KUBECONFIG === '1';
  let clusterDir: string | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (useExisting) {
    if (!process.env.KUBECONFIG) throw new Error('E2E_USE_KUBECONFIG=1 needs KUBECONFIG to point at the cluster');
    env.E2E_KUBECONFIG = process.env.KUBECONFIG;
  } else {
    clusterDir = mkdtempSync(join(tmpdir(), 'agent-operator-e2e-'));
    if (realNode?.ok) console.log('\n=== the real node joins the e2e cluster (hack/real-node check passed)');
    else if (realNode) {
      console.log(`\n=== no real node on this machine: ${realNode.why}; the real-node tests will skip`);
      env.E2E_REAL_NODE_SKIP = realNode.why;
    }
    await hostStep;
    // --owner-pid: a watchdog downs the cluster if this run is killed before its teardown.
    const up = await run('local control plane up', 'hack/cluster', [
      'up', '--dir', clusterDir, '--owner-pid', String(process.pid), ...(realNode?.ok ? ['--real-node'] : []),
    ]);
    if (up !== 0) failedSteps.push('cluster');
    env.E2E_KUBECONFIG = join(clusterDir, 'kubeconfig');
    env.E2E_CLUSTER_DIR = clusterDir;
  }
  // The files share one control plane. Most of an e2e file's time is waiting
  // (kubelet back-offs, remediation timers, a quiet minute for zero writes),
  // so two run at a time on this 2-core machine. A file that changes what
  // every other file sees, or that needs the CPU to itself, says so in a line
  // `// e2e: runs alone (why)` and runs before the others, one at a time.
  const { alone, shared } = e2eLanes(globSync('test/e2e/**/*.test.ts', { cwd: root }).sort());
  await run('e2e tests that run alone', 'node', nodeTest(alone, ['--test-concurrency=1']), env);
  await run('e2e tests, two at a time', 'node', nodeTest(shared, ['--test-concurrency=2']), env);
  if (clusterDir) {
    await run('local control plane down', 'hack/cluster', ['down', '--dir', clusterDir]);
    rmSync(clusterDir, { recursive: true, force: true });
  }
}

/** Splits the e2e files by their `// e2e: runs alone (why)` line. */
function e2eLanes(files: string[]): { alone: string[]; shared: string[] } {
  const alone = files.filter((f) => /^\/\/ e2e: runs alone \(.+\)$/m.test(readFileSync(join(root, f), 'utf8')));
  return { alone, shared: files.filter((f) => !alone.includes(f)) };
}

console.log(`\n${failedSteps.length ? `FAILED steps: ${failedSteps.join(', ')}` : 'all steps passed'}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);

// The README's test command (`make test` -> `npm test` -> this file).
//   node hack/test.ts            typecheck, generated files, unit, e2e
//   node hack/test.ts --unit     typecheck, generated files, unit
//   node hack/test.ts --e2e      e2e only
//   node hack/test.ts --e2e test/e2e/a.test.ts …   only these e2e files, as make test runs them
//   --record-e2e-times           write this run's seconds per e2e file to hack/e2e-seconds.json
//                                (the pool starts the longest first; a new file starts first until recorded)
// e2e runs on a fresh local control plane (hack/cluster) unless
// E2E_USE_KUBECONFIG=1, in which case it runs on $KUBECONFIG (kind, a real cluster).
// Every step runs even when an earlier one failed, so one run shows all failures;
// the last line sums the test counts of all runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const root = join(import.meta.dirname, '..');
// The pinned Node 24 and tsc come first, however this file was started.
process.env.PATH = `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`;
const args = new Set(process.argv.slice(2));
const only = args.has('--unit') ? 'unit' : args.has('--e2e') ? 'e2e' : 'all';
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedSteps: string[] = [];
const timesPath = join(root, 'hack/e2e-seconds.json');
/** Wall seconds of each e2e file in this run. */
const e2eSeconds: Record<string, number> = {};

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

// The e2e cluster comes up beside the typecheck and unit tests: `up` mostly
// waits on processes starting, and its 16 s no longer follow the unit tests.
// It starts once the host test is done: that test needs the real node to itself.
const e2eEnv: NodeJS.ProcessEnv = { ...process.env };
let clusterDir: string | undefined;
let clusterUp: Promise<number> | undefined;
if (only !== 'unit') {
  if (process.env.E2E_USE_KUBECONFIG === '1') {
    if (!process.env.KUBECONFIG) throw new Error('E2E_USE_KUBECONFIG=1 needs KUBECONFIG to point at the cluster');
    e2eEnv.E2E_KUBECONFIG = process.env.KUBECONFIG;
  } else {
    clusterDir = mkdtempSync(join(tmpdir(), 'agent-operator-e2e-'));
    if (realNode?.ok) console.log('\n=== the real node joins the e2e cluster (hack/real-node check passed)');
    else if (realNode) {
      console.log(`\n=== no real node on this machine: ${realNode.why}; the real-node tests will skip`);
      e2eEnv.E2E_REAL_NODE_SKIP = realNode.why;
    }
    const dir = clusterDir;
    clusterUp = (async () => {
      await hostStep;
      // --owner-pid: a watchdog downs the cluster if this run is killed before its teardown.
      return run('local control plane up', 'hack/cluster', [
        'up', '--dir', dir, '--owner-pid', String(process.pid), ...(realNode?.ok ? ['--real-node'] : []),
      ], process.env, only === 'all');
    })();
    e2eEnv.E2E_KUBECONFIG = join(clusterDir, 'kubeconfig');
    e2eEnv.E2E_CLUSTER_DIR = clusterDir;
  }
}

if (only !== 'e2e') {
  await run('typecheck', 'tsc', ['--noEmit', '-p', 'tsconfig.json']);
  await run('generated files are current', 'node', ['hack/generate.ts', '--check']);
  // node --test runs (cores - 1) files at once by default: one on 2 cores, where the
  // 10,000-spec property test (spec-fuzz, ~32 s) and 108 small files (~0.5 s each,
  // mostly loading modules) then took turns on one core while the other idled.
  await run('unit tests', 'node', nodeTest(['test/unit/**/*.test.ts'], [`--test-concurrency=${availableParallelism()}`]));
  await run('image tools unit tests (Go)', 'go', ['-C', 'hack/tools/images', 'test', './...']);
}

if (only !== 'unit') {
  if (clusterUp && (await clusterUp) !== 0) failedSteps.push('cluster');
  // The files share one control plane. Most of an e2e file's time is waiting
  // (kubelet back-offs, remediation timers, a quiet minute for zero writes),
  // so two run at a time on this 2-core machine. A file that changes what
  // every other file sees, or that needs the CPU to itself, says so in a line
  // `// e2e: runs alone (why)` and runs before the others, one at a time.
  const { alone, shared } = e2eLanes(e2eFiles());
  await lane('e2e, runs alone', alone, 1);
  await lane('e2e, two at a time', shared, 2);
  const measured = Object.entries(e2eSeconds).sort(([, a], [, b]) => b - a);
  console.log(`\n=== e2e seconds per file (wall, beside its neighbour), longest first:\n${measured.map(([f, s]) => `${String(s).padStart(5)}  ${f}`).join('\n')}`);
  if (args.has('--record-e2e-times')) {
    writeFileSync(timesPath, `${JSON.stringify({ ...recordedSeconds(), ...e2eSeconds }, null, 2)}\n`);
    console.log(`=== recorded in ${timesPath}`);
  }
  if (clusterDir) {
    await run('local control plane down', 'hack/cluster', ['down', '--dir', clusterDir]);
    rmSync(clusterDir, { recursive: true, force: true });
  }
}

/**
 * Runs the files `width` at a time, each its own `node --test` (its output
 * whole, and its wall time measured), longest first by hack/e2e-seconds.json:
 * started in name order, a 2-minute file picked last left the pool running
 * one file for its last minute or two. A file the table does not know yet
 * (a new one) starts first, so it cannot be that tail.
 */
async function lane(name: string, files: string[], width: number): Promise<void> {
  const known = recordedSeconds();
  const queue = [...files].sort((a, b) => (known[b] ?? Infinity) - (known[a] ?? Infinity) || a.localeCompare(b));
  console.log(`\n=== ${name}: ${queue.length} files${width > 1 ? `, ${width} at a time, longest first` : ''}`);
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const started = Date.now();
      await run(`${name}: ${file}`, 'node', nodeTest([file]), e2eEnv, width > 1);
      e2eSeconds[file] = Math.round((Date.now() - started) / 1000);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The e2e files, or only those named on the command line (`node hack/test.ts --e2e test/e2e/a.test.ts …`). */
function e2eFiles(): string[] {
  const all = globSync('test/e2e/**/*.test.ts', { cwd: root }).sort();
  const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const unknown = named.filter((f) => !all.includes(f));
  if (unknown.length) throw new Error(`not e2e test files: ${unknown.join(', ')}`);
  return named.length ? all.filter((f) => named.includes(f)) : all;
}

/** Seconds per e2e file from a past run (`--record-e2e-times` rewrites them); only the order comes from here. */
function recordedSeconds(): Record<string, number> {
  return existsSync(timesPath) ? JSON.parse(readFileSync(timesPath, 'utf8')) as Record<string, number> : {};
}

/** Splits the e2e files by their `// e2e: runs alone (why)` line. */
function e2eLanes(files: string[]): { alone: string[]; shared: string[] } {
  const alone = files.filter((f) => /^\/\/ e2e: runs alone \(.+\)$/m.test(readFileSync(join(root, f), 'utf8')));
  return { alone, shared: files.filter((f) => !alone.includes(f)) };
}

console.log(`\n${failedSteps.length ? `FAILED steps: ${failedSteps.join(', ')}` : 'all steps passed'}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);

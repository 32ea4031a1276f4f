// The operator under measurement as a child process: as the image runs it
// (`from: 'dist'`: the Dockerfile's ENTRYPOINT, node flags and dist/main.js,
// compiled first) or as `make run` runs it (`node src/main.ts`, with Node's
// type stripping and the TypeScript sources in memory), plus a sampler that
// scrapes its /metrics once a second.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.ts';
export { freePort };
import { onCleanup } from './cleanup.ts';
import { repoRoot } from './cluster.ts';
import { parseMetrics, sumOf, type Sample } from './prom.ts';


export interface OperatorOptions {
  kubeconfig: string;
  namespace: string;
  workers?: number;
  logFile: string;
  /** Write a V8 CPU profile of the whole run into this folder (written at exit). */
  cpuProfDir?: string;
  logLevel?: string;
  /** Another program to run instead of the operator (the Go baseline), with the same environment. */
  command?: string;
  /** `dist`: as the image runs it (shippedArgs); `src`: `node src/main.ts`. Default src. */
  from?: OperatorFrom;
  /** Extra environment (e.g. LEADER_ELECT, HEALTHY_AFTER_SECONDS); wins over the defaults above. */
  env?: Record<string, string>;
}

export interface RunningOperator {
  child: ChildProcess;
  pid: number;
  metricsUrl: string;
  scrape(): Promise<Sample[]>;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

export type OperatorFrom = 'dist' | 'src';

/**
 * The image's command after its node binary, from the Dockerfile's
 * ENTRYPOINT (exec form): node flags and `dist/main.js`, relative to the
 * repository as to the image's WORKDIR.
 */
export function shippedArgs(dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')): string[] {
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (line === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  let argv: unknown;
  try {
    argv = JSON.parse(line.slice('ENTRYPOINT '.length));
  } catch {
    argv = undefined;
  }
  if (!Array.isArray(argv) || argv.length < 2 || !argv.every((a) => typeof a === 'string')) throw new Error(`the Dockerfile's ENTRYPOINT is not the exec form ["node", ..., "dist/main.js"]: ${line}`);
  return argv.slice(1) as string[];
}

let built = false;
/** Compiles src/ into dist/ as the image's build stage does (once per bench process). */
export function buildDist(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${r.status ?? r.signal})`);
  built = true;
}

export async function startOperator(o: OperatorOptions): Promise<RunningOperator> {
  const logFd = openSync(o.logFile, 'a');
  const metricsPort = await freePort();
  const healthPort = await freePort();
  // As JavaScript (a data: URL of the file, which has no type annotations):
  // a .ts preload would load Node's TypeScript stripper, ~10 MiB, into a
  // process that runs dist/ and never needs it.
  const nodeArgs = ['--import', `data:text/javascript,${encodeURIComponent(readFileSync(join(import.meta.dirname, 'exit-with-parent.ts'), 'utf8'))}`];
  if (o.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
  if (!o.command && o.from === 'dist') buildDist();
  const main = o.from === 'dist' ? shippedArgs() : [join(repoRoot, 'src/main.ts')];
  const [program, args] = o.command ? [o.command, []] : [process.execPath, [...nodeArgs, ...main]];
  const child = spawn(program, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      KUBECONFIG: o.kubeconfig,
      WATCH_NAMESPACES: o.namespace,
      LEADER_ELECT: 'false',
      METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
      HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`,
      LOG_LEVEL: o.logLevel ?? 'info',
      ...(o.workers ? { WORKERS: String(o.workers) } : {}),
      ...o.env,
    },
    // Straight into the file, not through the bench: if the bench is killed,
    // the operator's stdout must not turn into a broken pipe under its logger.
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let done = false;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { done = true; r(code); }));
  const stop = async () => {
    if (done) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  };
  onCleanup(`stop the operator (pid ${child.pid})`, stop);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (done) throw new Error(`the operator exited during startup; see ${o.logFile}`);
    const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the operator was not ready within 60 s; see ${o.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child, pid: child.pid!, metricsUrl, exited, stop,
    scrape: async () => parseMetrics(await (await fetch(metricsUrl)).text()),
  };
}

/** One scrape, reduced to what the time series needs. */
export interface Point {
  /** ms since the bench started */
  t: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  cpuSeconds: number;
  queueDepth: number;
  /** Writes so far (create, update, patch, delete). */
  writes: number;
  deploymentApplies: number;
  reconciles: number;
}

export function point(t: number, s: readonly Sample[]): Point {
  return {
    t,
    rss: sumOf(s, 'process_resident_memory_bytes'),
    heapUsed: sumOf(s, 'nodejs_heap_size_used_bytes'),
    heapTotal: sumOf(s, 'nodejs_heap_size_total_bytes'),
    cpuSeconds: sumOf(s, 'process_cpu_seconds_total'),
    queueDepth: sumOf(s, 'workqueue_depth', { name: 'agent' }),
    writes: ['create', 'update', 'patch', 'delete'].reduce((n, verb) => n + sumOf(s, 'agent_operator_api_requests_total', { verb }), 0),
    deploymentApplies: sumOf(s, 'agent_operator_api_requests_total', { verb: 'patch', resource: 'deployments' }),
    reconciles: sumOf(s, 'controller_runtime_reconcile_total', { controller: 'agent' }),
  };
}

/** Scrapes every intervalMs into `points` until stopped; a failed scrape is skipped. */
export function sampleEvery(op: RunningOperator, origin: number, intervalMs: number): { points: Point[]; last(): Sample[] | undefined; stop(): void } {
  const points: Point[] = [];
  let last: Sample[] | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    op.scrape().then((s) => { last = s; points.push(point(performance.now() - origin, s)); }, () => {}).finally(() => { busy = false; });
  }, intervalMs);
  return { points, last: () => last, stop: () => clearInterval(timer) };
}

// make bench: agent-operator side by side with a Go controller-runtime
// operator doing its hot path (bench/baseline), on one local control plane in
// one run. Each run gets a fresh namespace and a fresh operator process; the
// order alternates (round 1: agent-operator then baseline, round 2 the other
// way round, ...) so neither always meets a warmer apiserver. agent-operator
// runs as the image runs it (the Dockerfile's ENTRYPOINT: its node flags and
// dist/main.js, compiled first), or with --from src as `make run` does. Per run:
//
//   RSS at start      median of 5 scrapes a second apart, 0 Agents, after /readyz
//   CPU to Ready      process CPU from the first create until the bench sees every Agent Ready
//   all Ready         first create -> every Agent Ready (observedGeneration current)
//   writes per Agent  create/update/patch/delete requests (events included) from the first
//                     create until writes stop, agent-operator also until every Agent settled
//                     (its healthy revision recorded), / Agents
//   CPU per write     process CPU over that same span / those writes
//   idle minutes      two spans of 60 s (--idle-seconds) after that with nothing changing:
//                     the first takes the garbage of the convergence burst (V8 shrinks its
//                     heap there), the second is what a settled operator costs per minute;
//                     CPU of each and the GC pauses in it (wall time: under load a pause
//                     lasts longer than the CPU it takes), writes and reconciles in both,
//                     API requests per minute in the second, RSS at the end of the first
//   detection         a pod's OOM kill written as a kubelet writes it -> the Agent's
//                     status.lastFailure names it (bench/lib/latency.ts), one at a time
//   RSS peak          highest once-a-second scrape during the run
//   409s              conflicts answered to the operator during the detection phase
//
// The single-operator benchmark with more detail is bench/detection.ts.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, homedir, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './lib/cleanup.ts';
import { nodesFor, repoRoot } from './lib/cluster.ts';
import { benchCluster, benchNamespace, workFolder } from './lib/setup.ts';
import { converge } from './lib/converge.ts';
import { Kube } from './lib/kube.ts';
import { measureDetection, spread } from './lib/latency.ts';
import { idleMemory, quiet } from './lib/measure.ts';
import { Observer } from './lib/observe.ts';
import { sampleEvery, shippedArgs, startOperator } from './lib/operator.ts';
import { sumOf, type Sample } from './lib/prom.ts';
import { compareCommand, type CompareOptions } from './lib/commands.ts';
import { formatSideBySide, type Figures, type OperatorKind } from './lib/side-by-side.ts';
import { summarize } from './lib/stats.ts';

const origin = performance.now();
const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const MiB = 1024 * 1024;

/** The baseline binary, built (go's build cache makes a rebuild quick) into a folder the bench owns, never the repository. */
function buildBaseline(): string {
  const dir = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'agent-operator', 'bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'baseline-operator');
  log(`building the Go baseline into ${out} (the first build takes minutes)`);
  const r = spawnSync('go', ['build', '-o', out, '.'], { cwd: join(repoRoot, 'bench/baseline'), stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`go build of bench/baseline failed (exit ${r.status ?? r.signal}); it needs Go and the Go module proxy`);
  return out;
}

/** Writes to the work (lease renewals left out: with --leader-elect they go on every 2 s by design). */
const writesOf = (s: Sample[]) => ['create', 'update', 'patch', 'delete'].reduce((n, verb) => n + sumOf(s, 'agent_operator_api_requests_total', { verb }) - sumOf(s, 'agent_operator_api_requests_total', { verb, resource: 'leases' }), 0);
/** Every request, reads and lease renewals included. */
const requestsOf = (s: Sample[]) => sumOf(s, 'agent_operator_api_requests_total');
const reconcilesOf = (s: Sample[]) => sumOf(s, 'controller_runtime_reconcile_total', { controller: 'agent' });
const cpuOf = (s: Sample[]) => sumOf(s, 'process_cpu_seconds_total');
/** GC pause time so far: prom-client's histogram sum for Node, the Go runtime's summary sum for the baseline. */
const gcOf = (s: Sample[]) => sumOf(s, 'nodejs_gc_duration_seconds_sum') + sumOf(s, 'go_gc_duration_seconds_sum');

async function runOne(kind: OperatorKind, o: CompareOptions, kube: Kube, kubeconfig: string, work: string, baselineBin: string | undefined, n: number): Promise<Figures> {
  const ns = `bench-${kind === 'baseline' ? 'go' : 'ts'}-${randomBytes(2).toString('hex')}`;
  log(`run ${n}: ${kind} in namespace ${ns}`);
  await benchNamespace(kube, ns);
  const obs = new Observer();
  await obs.start(kube, ns);
  const op = await startOperator({
    kubeconfig, namespace: ns, logFile: join(work, `${n}-${kind}.log`),
    ...(o.leaderElect ? { env: { LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: ns } } : {}),
    from: o.from,
    ...(kind === 'baseline' ? { command: baselineBin! } : o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {}),
  });
  // Once a second for the RSS peak, except in the idle span: there a scrape
  // every second would be most of the work, where Prometheus scrapes every 15-30 s.
  let sampler = sampleEvery(op, origin, 1000);
  const peak: number[] = [];
  try {
    const start = await idleMemory(op);
    const s0 = await op.scrape();
    let sReady: Sample[] = s0;
    const conv = await converge(kube, obs, ns, {
      agents: o.agents, concurrency: 16, timeoutMs: 600_000, progress: log,
      settle: kind === 'agent-operator', onAllReady: async () => { sReady = await op.scrape(); },
      ...(o.oomAction === 'None' ? { spec: { recovery: { oomKilled: { action: 'None' } } } } : {}),
    });
    if (conv.timedOut) throw new Error(`${kind}: only ${conv.readyAtEnd}/${o.agents} Agents Ready within 10 min`);
    await quiet(op, log);
    const sQuiet = await op.scrape();
    const eventsConverge = [...obs.eventWrites.values()].reduce((a, b) => a + b, 0);
    log(`${kind}: all Ready after ${conv.allReadySeconds?.toFixed(1)} s; idle for 2 x ${o.idleSeconds} s`);
    sampler.stop();
    peak.push(...sampler.points.map((p) => p.rss));
    await sleep(o.idleSeconds * 1000);
    const sIdle1 = await op.scrape();
    await sleep(o.idleSeconds * 1000);
    const sIdle = await op.scrape();
    const perMinute = (v: number) => (v * 60) / o.idleSeconds;
    sampler = sampleEvery(op, origin, 1000);
    const picked = spread([...obs.agentReadyAt.keys()].sort(), o.samples);
    log(`${kind}: detection latency, ${picked.length} pods OOM-killed one at a time`);
    const samples = await measureDetection(kube, obs, ns, {
      agents: picked, concurrency: 1, perSampleTimeoutMs: 30_000, deadline: Number.POSITIVE_INFINITY, progress: log,
      expectEvent: kind === 'agent-operator',
    });
    const sEnd = await op.scrape();
    const status = summarize(samples.flatMap((s) => (s.statusMs === undefined ? [] : [s.statusMs])));
    if (status.count < samples.length) log(`${kind}: ${samples.length - status.count} samples saw no lastFailure within 30 s`);
    const writes = writesOf(sQuiet) - writesOf(s0);
    return {
      operator: kind,
      rssStartMiB: start.rss / MiB,
      rssQuietMiB: sumOf(sIdle1, 'process_resident_memory_bytes') / MiB,
      rssPeakMiB: Math.max(0, ...peak, ...sampler.points.map((p) => p.rss)) / MiB,
      cpuToReadySeconds: cpuOf(sReady) - cpuOf(s0),
      cpuPerWriteMs: writes ? ((cpuOf(sQuiet) - cpuOf(s0)) / writes) * 1000 : Number.NaN,
      cpuIdleFirstMinuteSeconds: perMinute(cpuOf(sIdle1) - cpuOf(sQuiet)),
      gcIdleFirstMinuteSeconds: perMinute(gcOf(sIdle1) - gcOf(sQuiet)),
      cpuIdleMinuteSeconds: perMinute(cpuOf(sIdle) - cpuOf(sIdle1)),
      gcIdleMinuteSeconds: perMinute(gcOf(sIdle) - gcOf(sIdle1)),
      idleRequestsPerMinute: perMinute(requestsOf(sIdle) - requestsOf(sIdle1)),
      allReadySeconds: conv.allReadySeconds ?? Number.NaN,
      writesPerAgent: writes / o.agents,
      eventsPerAgent: eventsConverge / o.agents,
      detectionP50Ms: status.p50,
      detectionP99Ms: status.p99,
      idleWrites: writesOf(sIdle) - writesOf(sQuiet),
      idleReconciles: reconcilesOf(sIdle) - reconcilesOf(sQuiet),
      statusConflicts: sumOf(sEnd, 'agent_operator_api_requests_total', { code: '409' }) - sumOf(sIdle, 'agent_operator_api_requests_total', { code: '409' }),
    };
  } finally {
    sampler.stop();
    await op.stop();
    obs.stop();
    // The next run starts on an empty cluster: the namespace and its pods gone.
    await kube.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => {});
    for (let i = 0; i < 240 && (await kube.request('GET', `/api/v1/namespaces/${ns}`).then(() => true, () => false)); i++) await sleep(500);
  }
}

async function main(o: CompareOptions): Promise<number> {
  const work = workFolder('agent-operator-compare-', o.keep);
  const baselineBin = o.only === 'agent-operator' ? undefined : buildBaseline();
  const nodes = nodesFor(o.agents);
  const { cluster, kube } = await benchCluster({ work, nodes, log });
  const load = loadavg()[0] ?? 0;
  const order: OperatorKind[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const pair: OperatorKind[] = r % 2 === 0 ? ['agent-operator', 'baseline'] : ['baseline', 'agent-operator'];
    order.push(...pair.filter((k) => o.only === undefined || k === o.only));
  }
  const runs: Figures[] = [];
  for (const [i, kind] of order.entries()) runs.push(await runOne(kind, o, kube, cluster.kubeconfig, work, baselineBin, i + 1));
  process.stdout.write(formatSideBySide(runs, [
    `agent-operator vs a Go controller-runtime v0.24.1 operator (bench/baseline), ${new Date().toISOString()}`,
    `machine: ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, load ${load.toFixed(1)} at the start; Node ${process.versions.node}`,
    `agent-operator run ${o.from === 'dist' ? `as the image runs it: node ${shippedArgs().join(' ')}` : 'from its sources: node src/main.ts (type stripping; RSS is higher than as shipped)'}`,
    `work: ${o.agents} Agents (image, 1 replica) per run, ${o.samples} detection samples, 2 x ${o.idleSeconds} s idle${o.leaderElect ? ', leader election on' : ''}${o.oomAction === 'None' ? ', our Agents with recovery.oomKilled.action None (no memory raise)' : ''}; one local control plane, ${nodes} kwok nodes`,
  ]));
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), options: o, loadAtStart: load, runs })}\n`);
  return 0;
}

await runCommand({ name: 'bench', command: compareCommand, main, log });

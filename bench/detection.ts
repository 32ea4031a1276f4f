// make bench: detection latency and the operator's footprint with many Agents.
//
// 1. a local control plane of its own (hack/cluster, kwok nodes for the pods),
//    unless BENCH_KUBECONFIG names a cluster; the CRD; a namespace;
// 2. the operator as `make run` runs it (node src/main.ts), scoped to that
//    namespace, leader election off, metrics on a free loopback port;
// 3. N Agents created with bounded concurrency; time until all are Ready;
// 4. M of their pods OOM-killed one after another (pods/status written the way
//    a kubelet writes it); time until the Agent's status.lastFailure and the
//    Warning Event arrive (bench/lib/latency.ts says exactly what is timed);
// 5. the operator restarted with everything converged: its sync time, writes
//    (none expected) and memory as a fresh process (bench/lib/restart.ts);
// 6. a table and one JSON line. Everything it started is stopped at the end,
//    on failure and on Ctrl-C (bench/lib/cleanup.ts).
// Usage: node bench/detection.ts --help. README "Benchmarks" has figures.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectionCommand, type BenchOptions } from './lib/commands.ts';
import { onCleanup, runCommand } from './lib/cleanup.ts';
import { nodesFor, type BenchCluster } from './lib/cluster.ts';
import { benchCluster, benchNamespace, machine, showLogTail, watchNamespace, workFolder } from './lib/setup.ts';
import { converge, type ConvergeResult } from './lib/converge.ts';
import { restartOperator, type RestartResult } from './lib/restart.ts';
import { measureDetection, spread, type SampleResult } from './lib/latency.ts';
import { Observer } from './lib/observe.ts';
import { sampleEvery, startOperator, type Point } from './lib/operator.ts';
import { idleMemory, quiet, reconciles, writes, writeSeries } from './lib/measure.ts';
import { deltaOf, sumOf, type Sample } from './lib/prom.ts';
import { formatTable, type BenchResult } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const origin = performance.now();
const MiB = 1024 * 1024;
let workDir: string | undefined;

async function main(o: BenchOptions): Promise<number> {
  const deadline = origin + o.timeoutSeconds * 1000;
  const host = machine();
  const work = workFolder('agent-operator-bench-', o.keep);
  workDir = work;

  // 1. cluster, CRD, namespace
  const nodes = o.nodes ?? nodesFor(o.agents);
  const { cluster, kube, external } = await benchCluster({ work, nodes, log, allowExternal: true });
  const ns = await benchNamespace(kube, `agent-bench-${randomBytes(3).toString('hex')}`, { deleteAtEnd: external });
  const obs = await watchNamespace(kube, ns);

  // 2. operator
  log(`starting the operator (WATCH_NAMESPACES=${ns}, WORKERS=${o.workers ?? 'default'})`);
  let run = 0;
  const launch = () => startOperator({
    kubeconfig: cluster.kubeconfig, namespace: ns, logFile: join(work, `operator-${++run}.log`),
    ...(o.workers ? { workers: o.workers } : {}), ...(o.cpuProfDir ? { cpuProfDir: resolve(o.cpuProfDir) } : {}),
  });
  const op = await launch();
  const sampler = sampleEvery(op, origin, 1000);
  onCleanup('stop sampling', () => sampler.stop());
  const s0 = await op.scrape();
  const events = () => Object.fromEntries(obs.eventWrites);
  const events0 = events();

  // 3. convergence
  log(`creating ${o.agents} Agents (${o.createConcurrency} in flight) and waiting until all are Ready`);
  const convergeStart = performance.now();
  const conv = await converge(kube, obs, ns, {
    agents: o.agents, concurrency: o.createConcurrency,
    timeoutMs: Math.min(o.convergeTimeoutSeconds * 1000, deadline - performance.now() - 60_000),
    progress: log,
  });
  log(conv.timedOut ? `convergence TIMED OUT: ${conv.readyAtEnd}/${o.agents} Ready`
    : `all ${o.agents} Agents Ready after ${conv.allReadySeconds?.toFixed(1)} s, settled after ${conv.allSettledSeconds?.toFixed(1) ?? '-'} s`);
  await quiet(op, log);
  const s1 = await op.scrape();
  const events1 = events();
  const convergeEnd = performance.now();
  const idle = await idleMemory(op);

  // 4. detection latency
  const ready = [...obs.agentReadyAt.keys()].sort();
  const picked = spread(ready, Math.min(o.samples, ready.length));
  log(`detection latency: OOM-killing ${picked.length} pods, ${o.sampleConcurrency} at a time`);
  const s2 = await op.scrape();
  const events2 = events();
  const detectStart = performance.now();
  const samples = await measureDetection(kube, obs, ns, {
    agents: picked, concurrency: o.sampleConcurrency, perSampleTimeoutMs: o.sampleTimeoutSeconds * 1000,
    deadline: deadline - 90_000, progress: log,
  });
  // Each sample rolled its Deployment (IncreaseMemory); wait until those Agents settle again, so their writes count.
  const settleBy = Math.min(deadline - 30_000, performance.now() + 150_000);
  while (obs.settledNow(picked) < picked.length && performance.now() < settleBy) await sleep(500);
  await quiet(op, log);
  const s3 = await op.scrape();
  const events3 = events();
  const detectEnd = performance.now();
  sampler.stop();
  let restart: RestartResult | undefined;
  if (o.restart && !conv.timedOut) {
    log('restarting the operator with every Agent converged');
    restart = (await restartOperator(op, launch, o.agents)).result;
  }
  if (o.seriesFile) {
    writeSeries(o.seriesFile, sampler.points);
    log(`time series written to ${o.seriesFile}`);
  }

  const result = buildResult({ restart, o, machine: host, cluster, nodes, conv, samples, points: sampler.points, idle, s0, s1, s2, s3, convergeStart, convergeEnd, detectStart, detectEnd, obs, events0, events1, events2, events3 });
  process.stdout.write(formatTable(result));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (o.cpuProfDir) log(`the operator's CPU profile is written to ${o.cpuProfDir} when it stops`);
  return conv.timedOut || result.detection.missedStatus + result.detection.missedEvent > 0 ? 1 : 0;
}

function buildResult(x: {
  restart: RestartResult | undefined;
  o: BenchOptions; machine: BenchResult['machine']; cluster: BenchCluster; nodes: number; conv: ConvergeResult; samples: SampleResult[];
  points: Point[]; idle: { rss: number; heapUsed: number }; s0: Sample[]; s1: Sample[]; s2: Sample[]; s3: Sample[];
  convergeStart: number; convergeEnd: number; detectStart: number; detectEnd: number; obs: Observer;
  events0: Record<string, number>; events1: Record<string, number>; events2: Record<string, number>; events3: Record<string, number>;
}): BenchResult {
  const { o, conv, points } = x;
  const cpu = (s: Sample[]) => sumOf(s, 'process_cpu_seconds_total');
  const within = (a: number, b: number) => points.filter((p) => p.t >= a - origin && p.t <= b - origin);
  const statusMs = x.samples.flatMap((s) => (s.statusMs === undefined ? [] : [s.statusMs]));
  const eventMs = x.samples.flatMap((s) => (s.eventMs === undefined ? [] : [s.eventMs]));
  const last = points.at(-1);
  return {
    date: new Date().toISOString(),
    machine: x.machine,
    cluster: x.cluster.dir ? { source: 'local', nodes: x.nodes, ...(x.cluster.upSeconds ? { upSeconds: x.cluster.upSeconds } : {}) } : { source: 'BENCH_KUBECONFIG' },
    config: { agents: o.agents, samples: x.samples.length, workers: o.workers ?? 'default', createConcurrency: o.createConcurrency, sampleConcurrency: o.sampleConcurrency },
    converge: {
      createSeconds: conv.createSeconds,
      allPodsReadySeconds: conv.allPodsReadySeconds ?? null,
      allReadySeconds: conv.allReadySeconds ?? null,
      allSettledSeconds: conv.allSettledSeconds ?? null,
      agentsPerSecond: conv.allReadySeconds ? o.agents / conv.allReadySeconds : null,
      readyAtEnd: conv.readyAtEnd, timedOut: conv.timedOut,
      perAgentReadySeconds: summarize(conv.perAgentReadySeconds),
    },
    detection: {
      samples: x.samples.length,
      missedStatus: x.samples.length - statusMs.length,
      missedEvent: x.samples.length - eventMs.length,
      statusMs: summarize(statusMs), eventMs: summarize(eventMs), writeRttMs: summarize(x.samples.map((s) => s.writeRtt)),
    },
    operator: {
      rssIdleMiB: x.idle.rss / MiB,
      rssPeakMiB: Math.max(0, ...points.map((p) => p.rss)) / MiB,
      rssEndMiB: (last?.rss ?? Number.NaN) / MiB,
      heapUsedIdleMiB: x.idle.heapUsed / MiB,
      heapUsedPeakMiB: Math.max(0, ...points.map((p) => p.heapUsed)) / MiB,
      cpuSecondsConverge: cpu(x.s1) - cpu(x.s0),
      cpuSecondsDetection: cpu(x.s3) - cpu(x.s2),
      queueDepthPeakConverge: Math.max(0, ...within(x.convergeStart, x.convergeEnd).map((p) => p.queueDepth)),
      queueDepthPeakDetection: Math.max(0, ...within(x.detectStart, x.detectEnd).map((p) => p.queueDepth)),
      reconcileConverge: reconciles(x.s1, x.s0),
      reconcileDetection: reconciles(x.s3, x.s2),
    },
    writes: {
      converge: writes(x.s1, x.s0, o.agents, deltaOf(x.events1, x.events0)),
      detection: writes(x.s3, x.s2, x.samples.length, deltaOf(x.events3, x.events2)),
    },
    restart: x.restart ?? null,
    watchEventsReceivedByBench: { ...x.obs.received },
  };
}

await runCommand({
  name: 'bench', command: detectionCommand, main, log,
  onFailure: () => showLogTail(workDir && join(workDir, 'operator-1.log'), log),
});

// make bench-shards: the same convergence with 1 and with K shards, on one
// local control plane, in one run (a fresh namespace per run, runs in the
// order given by --shards):
//
//   K = 1   one operator process, leader election off (as bench/detection.ts)
//   K > 1   K operator processes with SHARDS=K, leader election on (the shard
//           Leases in the run's namespace); the bench waits until each
//           process holds one shard before the first create
//   :W      WORKERS=W in each process: K shards of W workers run K x W
//           reconciles at once, so compare them with one process of K x W
//           workers too (the default runs: 1, 2, 1:4)
//
// Per run: first create -> every Agent Ready (the bench's watch), the CPU of
// all processes over that span (process_cpu_seconds_total), each process's
// RSS peak (scraped once a second) and its reconciles and writes (so the split
// between processes shows). The Agents are those of bench/detection.ts.
// On 2 cores the control plane, kwok and the bench share the machine with the
// operators, so K processes mostly divide the same CPU: read the CPU and
// writes columns, not just the wall clock. README "Benchmarks" has figures.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './lib/cleanup.ts';
import { nodesFor } from './lib/cluster.ts';
import { shardsCommand, type ShardsOptions } from './lib/commands.ts';
import { converge } from './lib/converge.ts';
import { sampleEvery, startOperator, type RunningOperator } from './lib/operator.ts';
import { sumOf, type Sample } from './lib/prom.ts';
import { benchCluster, benchNamespace, machine, watchNamespace, workFolder } from './lib/setup.ts';

const origin = performance.now();
const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const MiB = 1024 * 1024;

interface RunResult {
  shards: number;
  workers: number | string;
  processes: number;
  loadAverage1mAtStart: number;
  allReadySeconds: number | null;
  readyAtEnd: number;
  cpuSecondsConverge: number;
  rssPeakMiB: number[];
  reconciles: number[];
  writes: number[];
}

const writesOf = (s: Sample[]) => ['create', 'update', 'patch', 'delete'].reduce((n, verb) => n + sumOf(s, 'agent_operator_api_requests_total', { verb }) - sumOf(s, 'agent_operator_api_requests_total', { verb, resource: 'leases' }), 0);
const heldShards = async (op: RunningOperator, k: number) => {
  const s = await op.scrape();
  return Array.from({ length: k }, (_, i) => i).filter((i) => sumOf(s, 'leader_election_master_status', { name: `agent-operator-leader-shard-${i}` }) === 1);
};

async function main(o: ShardsOptions): Promise<number> {
  const work = workFolder('agent-operator-bench-shards-', o.keep);
  const { cluster, kube, external } = await benchCluster({ work, nodes: nodesFor(o.agents * o.runs.length), log, allowExternal: true });
  // Room for every run's pods: a run's namespace stays until the end (deleting 1,000 pods would overlap the next run).
  const results: RunResult[] = [];
  for (const { shards: k, workers } of o.runs) {
    const ns = await benchNamespace(kube, `agent-shards-${k}-${randomBytes(3).toString('hex')}`, { deleteAtEnd: external });
    const obs = await watchNamespace(kube, ns);
    log(`run with ${k} shard(s): ${k} operator process(es), WORKERS=${workers ?? 'default'}, watching ${ns}`);
    const env: Record<string, string> = k === 1 ? {} : { LEADER_ELECT: 'true', SHARDS: String(k), LEADER_ELECTION_NAMESPACE: ns, LEASE_NAME: 'agent-operator-leader' };
    const ops = await Promise.all(Array.from({ length: k }, (_, i) => startOperator({
      kubeconfig: cluster.kubeconfig, namespace: ns, logFile: join(work, `operator-${k}-${i}.log`),
      ...(workers ? { workers } : {}), env: { ...env, POD_NAME: `bench-shard-${k}-${i}` },
    })));
    if (k > 1) {
      for (let i = 0; ; i++) {
        const held = await Promise.all(ops.map((op) => heldShards(op, k)));
        if (held.every((h) => h.length === 1)) break;
        if (i > 600) throw new Error(`the shards did not spread one per process within 60 s: ${JSON.stringify(held)}`);
        await sleep(100);
      }
      log('each process holds one shard');
    }
    const samplers = ops.map((op) => sampleEvery(op, origin, 1000));
    const before = await Promise.all(ops.map((op) => op.scrape()));
    const load = machine().loadAverage1m;
    const conv = await converge(kube, obs, ns, {
      agents: o.agents, concurrency: 16, timeoutMs: o.timeoutSeconds * 1000, progress: log, settle: false,
    });
    const after = await Promise.all(ops.map((op) => op.scrape()));
    for (const s of samplers) s.stop();
    const cpu = (s: Sample[]) => sumOf(s, 'process_cpu_seconds_total');
    const reconciles = (s: Sample[]) => sumOf(s, 'controller_runtime_reconcile_total', { controller: 'agent' });
    results.push({
      shards: k, workers: workers ?? 'default', processes: k, loadAverage1mAtStart: load,
      allReadySeconds: conv.allReadySeconds ?? null, readyAtEnd: conv.readyAtEnd,
      cpuSecondsConverge: ops.reduce((n, _, i) => n + cpu(after[i]!) - cpu(before[i]!), 0),
      rssPeakMiB: samplers.map((s) => Math.max(0, ...s.points.map((p) => p.rss)) / MiB),
      reconciles: ops.map((_, i) => reconciles(after[i]!) - reconciles(before[i]!)),
      writes: ops.map((_, i) => writesOf(after[i]!) - writesOf(before[i]!)),
    });
    log(`${k} shard(s): ${conv.readyAtEnd}/${o.agents} Ready${conv.allReadySeconds ? ` after ${conv.allReadySeconds.toFixed(1)} s` : ' (timed out)'}`);
    await Promise.all(ops.map((op) => op.stop()));
    obs.stop();
  }
  const m = machine();
  process.stdout.write(`\n${o.agents} Agents, ${m.cores} cores, load at the end ${m.loadAverage1m.toFixed(1)}\n`);
  process.stdout.write('| shards (processes) | workers each | load at start | all Ready | CPU, all processes | RSS peak per process | reconciles per process | writes per process |\n|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(`| ${r.shards} | ${r.workers} | ${r.loadAverage1mAtStart.toFixed(1)} | ${r.allReadySeconds?.toFixed(1) ?? `timed out (${r.readyAtEnd})`} s | ${r.cpuSecondsConverge.toFixed(1)} s | ${r.rssPeakMiB.map((x) => x.toFixed(0)).join(' / ')} MiB | ${r.reconciles.join(' / ')} | ${r.writes.join(' / ')} |\n`);
  }
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine: m, agents: o.agents, runs: results })}\n`);
  return results.some((r) => r.allReadySeconds === null) ? 1 : 0;
}

await runCommand({ name: 'bench-shards', command: shardsCommand, main, log });

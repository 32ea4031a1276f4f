// make bench-modes: the fleet modes at scale (issue 11). One DaemonSet-mode
// Agent with a pod on every one of K kwok nodes (a node agent on a 200-node
// fleet) and one StatefulSet-mode Agent with R replicas and a claim each,
// measured as bench/detection.ts measures Deployments:
//
// 1. a local control plane of its own with K kwok nodes and its storage addon
//    (a default StorageClass and a pool of PVs, for the StatefulSet's claims);
//    the CRD; the operator as `make run` runs it, one watched namespace;
// 2. both Agents created at once; per Agent: create -> Ready, -> every pod
//    Ready, -> settled (its revision recorded as healthy, 60 s after Ready);
// 3. idle: with both settled and the operator quiet, S seconds in which
//    nothing changes: the operator's writes (expected: none) and reconciles;
// 4. detection latency: M pods of each Agent OOM-killed one after another,
//    the kill written into pod status as a kubelet writes it (bench/lib/latency.ts
//    says what is timed). recovery.oomKilled.action is None on both Agents:
//    with the default IncreaseMemory the first kill would roll all K pods of
//    the DaemonSet one node at a time, and the later samples would time that
//    roll rather than detection (README: the Deployment bench keeps the raise);
// 5. a table and one JSON line. Everything it started is stopped at the end,
//    on failure and on Ctrl-C (bench/lib/cleanup.ts).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './lib/cleanup.ts';
import { repoRoot } from './lib/cluster.ts';
import { benchCluster, benchNamespace, machine, showLogTail, watchNamespace, workFolder } from './lib/setup.ts';
import { measureDetection, spread, type SampleResult } from './lib/latency.ts';
import { idleMemory, quiet, reconciles, writes } from './lib/measure.ts';
import { modesCommand, type ModesOptions } from './lib/commands.ts';
import { podReady } from './lib/observe.ts';
import { startOperator } from './lib/operator.ts';
import { deltaOf, sumOf, type Sample } from './lib/prom.ts';
import type { ReconcileStats, Writes } from './lib/measure.ts';
import { summarize, type Summary } from './lib/stats.ts';

const origin = performance.now();
const log = (msg: string) => process.stderr.write(`[bench-modes ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const MiB = 1024 * 1024;
let workDir: string | undefined;

type Mode = 'DaemonSet' | 'StatefulSet';
const agentLabel = 'agent-operator.dev/agent';

/** The two Agents: the smallest each mode allows, plus the storage a StatefulSet is for. */
function manifests(o: ModesOptions): Record<Mode, Record<string, unknown>> {
  const agent = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name },
    spec: { image: 'registry.example/bench-agent:1.0', recovery: { oomKilled: { action: 'None' } }, ...spec },
  });
  return {
    DaemonSet: agent('node-agent', { mode: 'DaemonSet' }),
    StatefulSet: agent('wal-agent', { mode: 'StatefulSet', replicas: o.replicas, storage: { size: '1Gi' } }),
  };
}

interface ModeResult {
  agent: string;
  pods: number;
  readySeconds: number | null;
  podsReadySeconds: number | null;
  settledSeconds: number | null;
  detection: { samples: number; missedStatus: number; missedEvent: number; statusMs: Summary; eventMs: Summary; writeRttMs: Summary };
  writesPerSample: Writes;
}

async function main(o: ModesOptions): Promise<number> {
  const deadline = origin + o.timeoutSeconds * 1000;
  const host = machine();
  const work = workFolder('agent-operator-bench-modes-', o.keep);
  workDir = work;

  const { cluster, kube } = await benchCluster({ work, nodes: o.nodes, log, addons: join(repoRoot, 'hack/cluster-addons') });
  const ns = await benchNamespace(kube, `agent-bench-${randomBytes(3).toString('hex')}`);
  const obs = await watchNamespace(kube, ns);
  log(`starting the operator (WATCH_NAMESPACES=${ns})`);
  const op = await startOperator({ kubeconfig: cluster.kubeconfig, namespace: ns, logFile: join(work, 'operator-1.log') });

  // 2. convergence
  const agents = manifests(o);
  const names = Object.fromEntries(Object.entries(agents).map(([m, a]) => [m, (a['metadata'] as { name: string }).name])) as Record<Mode, string>;
  const s0 = await op.scrape();
  const created = performance.now();
  await Promise.all(Object.values(agents).map((body) => kube.request('POST', `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, { body })));
  const podsOf = (name: string) => [...obs.pods.values()].filter((p) => p.metadata.labels?.[agentLabel] === name);
  const expected: Record<Mode, number> = { DaemonSet: o.nodes, StatefulSet: o.replicas };
  const podsReadyAt: Partial<Record<Mode, number>> = {};
  const convergeBy = Math.min(deadline - 120_000, performance.now() + 900_000);
  let lastSay = 0;
  while (performance.now() < convergeBy) {
    for (const m of ['DaemonSet', 'StatefulSet'] as const) {
      if (podsReadyAt[m] === undefined && podsOf(names[m]).filter(podReady).length >= expected[m]) podsReadyAt[m] = performance.now();
    }
    if (obs.settledNow(Object.values(names)) === 2) break;
    if (performance.now() - lastSay > 10_000) {
      lastSay = performance.now();
      log(`pods ready: ${names.DaemonSet} ${podsOf(names.DaemonSet).filter(podReady).length}/${expected.DaemonSet}, ${names.StatefulSet} ${podsOf(names.StatefulSet).filter(podReady).length}/${expected.StatefulSet}; Agents ready ${obs.agentReadyAt.size}, settled ${obs.agentSettledAt.size}`);
    }
    await sleep(250);
  }
  const since = (t: number | undefined) => (t === undefined ? null : (t - created) / 1000);
  if (obs.settledNow(Object.values(names)) < 2) throw new Error(`the Agents did not settle: ready ${[...obs.agentReadyAt.keys()].join(', ') || 'none'}; settled ${[...obs.agentSettledAt.keys()].join(', ') || 'none'}`);
  log('both Agents settled; waiting for the operator to go quiet');
  await quiet(op, log);
  const s1 = await op.scrape();
  const idleMem = await idleMemory(op);

  // 3. idle
  log(`idle for ${o.idleSeconds} s`);
  const sIdle0 = await op.scrape();
  await sleep(o.idleSeconds * 1000);
  const sIdle1 = await op.scrape();
  const idleWrites = writes(sIdle1, sIdle0, 2, {});
  const idleReconciles = reconciles(sIdle1, sIdle0);

  // 4. detection, one Agent after the other
  const results = {} as Record<Mode, ModeResult>;
  for (const m of ['DaemonSet', 'StatefulSet'] as const) {
    const name = names[m];
    const pods = podsOf(name).filter(podReady).map((p) => p.metadata.name).sort();
    const picked = spread(pods, Math.min(o.samples, pods.length)).map((pod) => ({ agent: name, pod }));
    log(`${m}: OOM-killing ${picked.length} of ${pods.length} pods of ${name}, one at a time`);
    const before = await op.scrape();
    const ev0 = Object.fromEntries(obs.eventWrites);
    const samples: SampleResult[] = await measureDetection(kube, obs, ns, {
      agents: picked, concurrency: 1, perSampleTimeoutMs: o.sampleTimeoutSeconds * 1000, deadline: deadline - 30_000, progress: log,
    });
    await quiet(op, log);
    const after = await op.scrape();
    const statusMs = samples.flatMap((s) => (s.statusMs === undefined ? [] : [s.statusMs]));
    const eventMs = samples.flatMap((s) => (s.eventMs === undefined ? [] : [s.eventMs]));
    results[m] = {
      agent: name, pods: pods.length,
      readySeconds: since(obs.agentReadyAt.get(name)), podsReadySeconds: since(podsReadyAt[m]), settledSeconds: since(obs.agentSettledAt.get(name)),
      detection: {
        samples: samples.length, missedStatus: samples.length - statusMs.length, missedEvent: samples.length - eventMs.length,
        statusMs: summarize(statusMs), eventMs: summarize(eventMs), writeRttMs: summarize(samples.map((s) => s.writeRtt)),
      },
      writesPerSample: writes(after, before, samples.length, deltaOf(Object.fromEntries(obs.eventWrites), ev0)),
    };
  }

  const cpu = (s: Sample[]) => sumOf(s, 'process_cpu_seconds_total');
  const result = {
    date: new Date().toISOString(), machine: host,
    cluster: { nodes: o.nodes, upSeconds: cluster.upSeconds ?? null },
    config: { nodes: o.nodes, replicas: o.replicas, samplesPerAgent: o.samples, idleSeconds: o.idleSeconds },
    modes: results,
    converge: { writes: writes(s1, s0, 2, {}), reconcile: reconciles(s1, s0), cpuSeconds: cpu(s1) - cpu(s0) },
    idle: { seconds: o.idleSeconds, writes: idleWrites.total, writesByResource: idleWrites.byResource, reconciles: idleReconciles.count, rssMiB: idleMem.rss / MiB, heapUsedMiB: idleMem.heapUsed / MiB },
  };
  process.stdout.write(table(result.modes, result.idle, result.converge.reconcile, result.converge.writes, host.loadAverage1m));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const missed = Object.values(results).reduce((n, r) => n + r.detection.missedStatus + r.detection.missedEvent, 0);
  return missed > 0 || idleWrites.total > 0 ? 1 : 0;
}

function table(modes: Record<Mode, ModeResult>, idle: { seconds: number; writes: number; reconciles: number; rssMiB: number }, rec: ReconcileStats, conv: Writes, load: number): string {
  const n = (x: number | null, d = 1) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
  const ms = (s: Summary) => `p50 ${n(s.p50, 0)} ms, p90 ${n(s.p90, 0)} ms, p99 ${n(s.p99, 0)} ms, max ${n(s.max, 0)} ms`;
  const rows: [string, string][] = [['load average (1 min) at the start', n(load, 2)]];
  for (const m of ['DaemonSet', 'StatefulSet'] as const) {
    const r = modes[m];
    rows.push(
      [`${m} ${r.agent}: pods`, String(r.pods)],
      [`${m}: created -> every pod Ready / Agent Ready / settled`, `${n(r.podsReadySeconds)} s / ${n(r.readySeconds)} s / ${n(r.settledSeconds)} s`],
      [`${m}: detection, pod status -> Agent status.lastFailure (${r.detection.samples} samples, ${r.detection.missedStatus} missed)`, ms(r.detection.statusMs)],
      [`${m}: detection, pod status -> Warning Event (${r.detection.missedEvent} missed)`, ms(r.detection.eventMs)],
      [`${m}: API writes per OOM kill`, `${n(r.writesPerSample.per)} (${Object.entries(r.writesPerSample.byResource).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    );
  }
  rows.push(
    ['convergence: API writes (both Agents)', `${conv.total} (${Object.entries(conv.byResource).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    ['convergence: reconciles', `${rec.count}, mean ${n(rec.meanMs, 0)} ms`],
    [`idle ${idle.seconds} s after both settled: operator writes / reconciles`, `${idle.writes} / ${idle.reconciles}`],
    ['operator RSS, idle', `${n(idle.rssMiB, 0)} MiB`],
  );
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

await runCommand({
  name: 'bench-modes', command: modesCommand, main, log,
  onFailure: () => showLogTail(workDir && join(workDir, 'operator-1.log'), log),
});

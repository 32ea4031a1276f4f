// make bench-memory: what a process holding N Agents and their objects keeps,
// without the hour a real convergence of 10,000 Agents takes.
//
// 1. A local control plane (hack/cluster) with its controller-manager,
//    scheduler and kwok stopped once it is up: the objects below stay exactly
//    as written (no ReplicaSets or pods of the controllers' own, no garbage
//    collection, no status changes).
// 2. N Agents (bench/detection.ts's), and for each what a converged operator
//    and the controllers would have built: the Deployment from the operator's
//    own plan (server-side applied with its field manager, so managedFields
//    are the real ones), R ReplicaSets (the last current, the older ones
//    rollback targets with an older image), P Running pods of the current one,
//    the Deployment's, ReplicaSets' and pods' status as the controllers and a
//    kubelet write them, and the Agent's status as the operator's plan makes
//    it from that world.
// 3. Per run (--runs), one operator process as the image runs it (the
//    Dockerfile's ENTRYPOINT flags and ENV, dist/main.js) started as a standby: leader
//    election on, the Lease held by the bench, so it lists and watches every
//    cache and writes nothing. `before` is the commit --before (default
//    main), compiled in a temporary folder; `after` is this working tree;
//    `+NAME=VALUE` adds an environment variable (MALLOC_ARENA_MAX=2;
//    `+LEASE_NAME=mine+WORKERS=16` makes it lead: it reconciles every Agent,
//    as a leader does after each restart, and is read once its queue is
//    empty). Once /readyz answers (every cache synced) and --settle seconds later: RSS
//    and its anonymous part, the peak (VmHWM), V8 heap used and committed,
//    V8's own malloc, external and arrayBuffers, then the same after two full
//    GCs, and with --snapshot a heap snapshot summarised by object kind and
//    by duplicated strings (bench/lib/heap-snapshot.ts).
// 4. In the bench process, per kind: the V8 heap its objects take as
//    JSON.parse leaves them, as this tree's informer keeps them (toCached:
//    managedFields dropped, strings shared, frozen) and through the kind's
//    cache transform (src/reconcile/caches.ts). Small counts are noisy (the
//    bench's own garbage); read them at 1,000 Agents or more.
// A table and one JSON line. Everything started is stopped at the end.
// Usage: node bench/cache-memory.ts --help. README "Benchmarks" has figures.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { readAgent, type StoredAgent } from '../src/api/stored-agent.ts';
import { withDesiredHash } from '../src/desired/desired-hash.ts';
import { cacheTransforms } from '../src/reconcile/caches.ts';
import { plan } from '../src/reconcile/plan.ts';
import { toCached, type KubeObject } from '../src/runtime/kube-object.ts';
import { memoryCommand, type MemoryOptions } from './lib/commands.ts';
import { onCleanup, runCommand } from './lib/cleanup.ts';
import { repoRoot } from './lib/cluster.ts';
import { agentManifest, agentName, pool } from './lib/converge.ts';
import { summariseHeapSnapshot, type HeapSummary } from './lib/heap-snapshot.ts';
import type { Kube } from './lib/kube.ts';
import { buildDist, freePort, shippedArgs } from './lib/operator.ts';
import { parseMetrics, sumOf } from './lib/prom.ts';
import { benchCluster, benchNamespace, machine, workFolder } from './lib/setup.ts';

const origin = performance.now();
const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const MiB = 1024 * 1024;
const leaseName = 'agent-operator-leader';

interface Reading {
  memoryUsage: NodeJS.MemoryUsage;
  heap: { malloced_memory: number; peak_malloced_memory: number; total_physical_size: number };
  spaces: { name: string; size: number; used: number; physical: number }[];
  status: Record<'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile', number>;
}

interface RunResult {
  run: string;
  loadAverage1m: number;
  syncSeconds: number;
  leader: boolean;
  reconciles: number;
  writes: number;
  settled: Reading;
  afterGc: Reading;
  snapshot?: HeapSummary;
}

async function main(o: MemoryOptions): Promise<number> {
  const work = workFolder('agent-operator-bench-memory-', o.keep);
  const { cluster, kube } = await benchCluster({ work, nodes: 1, log });
  // The namespace first: its default ServiceAccount (which pods need) is the controller-manager's.
  const ns = await benchNamespace(kube, `agent-memory-${randomBytes(3).toString('hex')}`);
  // The objects must stay as written: nothing may reconcile them.
  for (const c of ['kube-controller-manager', 'kube-scheduler', 'kwok']) {
    const pid = Number(readFileSync(join(cluster.dir!, 'pids', `${c}.pid`), 'utf8'));
    log(`stopping ${c} (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
  }
  await holdLease(kube, ns);

  const t0 = performance.now();
  log(`creating ${o.agents} Agents with ${o.replicaSetsPerAgent} ReplicaSets and ${o.podsPerAgent} pods each (${o.concurrency} Agents in flight)`);
  let done = 0;
  await pool(Array.from({ length: o.agents }, (_, i) => i), o.concurrency, async (i) => {
    await createWorld(kube, ns, agentName(i), o);
    if (++done % 1000 === 0) log(`  ${done} Agents and their objects written`);
  });
  const createSeconds = (performance.now() - t0) / 1000;
  log(`written in ${createSeconds.toFixed(0)} s`);

  const perKind = await cacheCost(kube, ns);
  const roots = { before: () => checkout(o.before, work), after: () => { buildDist(); return repoRoot; } };
  const results: RunResult[] = [];
  for (const run of o.runs) {
    const [name, ...env] = run.split('+');
    const root = roots[name as keyof typeof roots]?.();
    if (root === undefined) throw new Error(`--runs: ${name} is neither before nor after`);
    results.push(await measure(run, root, Object.fromEntries(env.map((e) => e.split('=') as [string, string])), cluster.kubeconfig, ns, work, o));
  }
  const result = { date: new Date().toISOString(), machine: machine(), config: { ...o, help: undefined, keep: undefined }, createSeconds, perKind, runs: results };
  process.stdout.write(table(result));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

/** The Lease held by the bench (renewed every 2 s), so every operator started is a standby. */
async function holdLease(kube: Kube, ns: string): Promise<void> {
  const now = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  await kube.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, { body: {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: leaseName },
    spec: { holderIdentity: 'bench-holder', leaseDurationSeconds: 15, acquireTime: now(), renewTime: now() },
  } });
  const timer = setInterval(() => {
    void kube.request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName}`, { contentType: 'application/merge-patch+json', body: { spec: { renewTime: now() } } }).catch(() => {});
  }, 2000);
  onCleanup('stop renewing the Lease', () => clearInterval(timer));
}

const shortHash = (s: string, n = 10) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** One Agent and what the operator and the controllers would have made of it. */
async function createWorld(kube: Kube, ns: string, name: string, o: MemoryOptions): Promise<void> {
  const apps = `/apis/apps/v1/namespaces/${ns}`;
  const stored = await kube.request<StoredAgent>('POST', `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, { body: agentManifest(name) });
  const agent = readAgent(stored).agent;
  const now = new Date();
  const base = { agent, replicaSets: [], pods: [], now, references: { digests: {}, missing: [], configMapTexts: {} }, dependencies: { ready: true, waits: [], none: true } };
  const desired = withDesiredHash(plan(base).apply.find((x) => x.kind === 'Deployment')!);
  const deployment = await kube.request<V1Deployment>('PATCH', `${apps}/deployments/${desired.metadata.name}`, {
    contentType: 'application/apply-patch+yaml', query: { fieldManager: 'agent-operator', force: true }, body: desired,
  });
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const dmeta = deployment.metadata!;
  const owner = (kind: string, m: { name?: string; uid?: string }, apiVersion = 'apps/v1') => [{ apiVersion, kind, name: m.name!, uid: m.uid!, controller: true, blockOwnerDeletion: true }];
  const replicaSets: V1ReplicaSet[] = [];
  let current: V1ReplicaSet | undefined;
  for (let r = 1; r <= o.replicaSetsPerAgent; r++) {
    const latest = r === o.replicaSetsPerAgent;
    const template = structuredClone(deployment.spec!.template);
    if (!latest) template.spec!.containers[0]!.image = `registry.example/bench-agent:0.${r}`;
    const hash = shortHash(`${name}/${r}`);
    template.metadata!.labels = { ...template.metadata!.labels, 'pod-template-hash': hash };
    const replicas = latest ? 1 : 0;
    const rs = await kube.request<V1ReplicaSet>('POST', `${apps}/replicasets`, { body: {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`, labels: template.metadata!.labels, ownerReferences: owner('Deployment', dmeta),
        annotations: { 'deployment.kubernetes.io/desired-replicas': '1', 'deployment.kubernetes.io/max-replicas': '2', 'deployment.kubernetes.io/revision': String(r) },
      },
      spec: { replicas, minReadySeconds: 5, selector: { matchLabels: { ...deployment.spec!.selector.matchLabels, 'pod-template-hash': hash } }, template },
    } });
    const status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 };
    replicaSets.push(await kube.request<V1ReplicaSet>('PATCH', `${apps}/replicasets/${rs.metadata!.name}/status`, { contentType: 'application/merge-patch+json', body: { status } }));
    if (latest) current = replicaSets.at(-1);
  }
  const pods: V1Pod[] = [];
  for (let p = 0; current && p < o.podsPerAgent; p++) {
    const t = current.spec!.template!;
    const pod = await kube.request<V1Pod>('POST', `/api/v1/namespaces/${ns}/pods`, { body: {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `${current.metadata!.name}-${shortHash(`${name}/${p}`, 5)}`, labels: t.metadata!.labels, annotations: t.metadata!.annotations, ownerReferences: owner('ReplicaSet', current.metadata!) },
      spec: { ...t.spec, nodeName: 'kwok-node-0' },
    } });
    const c = pod.spec!.containers[0]!;
    const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: at });
    pods.push(await kube.request<V1Pod>('PATCH', `/api/v1/namespaces/${ns}/pods/${pod.metadata!.name}/status`, { contentType: 'application/merge-patch+json', body: { status: {
      phase: 'Running', hostIP: '10.255.0.1', hostIPs: [{ ip: '10.255.0.1' }], podIP: `10.244.${(p + pods.length) % 250}.${name.length}`, podIPs: [{ ip: `10.244.0.${p + 2}` }],
      startTime: at, qosClass: 'Burstable',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
      containerStatuses: [{ name: c.name, image: c.image ?? '', imageID: `${c.image}@sha256:${shortHash(c.image ?? '', 64)}`, containerID: `containerd://${shortHash(pod.metadata!.uid!, 64)}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: at } }, lastState: {} }],
    } } }));
  }
  const rsName = current?.metadata?.name ?? '';
  const live = await kube.request<V1Deployment>('PATCH', `${apps}/deployments/${dmeta.name}/status`, { contentType: 'application/merge-patch+json', body: { status: {
    observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1,
    conditions: [
      { type: 'Available', status: 'True', lastUpdateTime: at, lastTransitionTime: at, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
      { type: 'Progressing', status: 'True', lastUpdateTime: at, lastTransitionTime: at, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` },
    ],
  } } });
  const status = plan({ ...base, workload: live, replicaSets, pods }).status;
  if (status) await kube.request('PATCH', `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents/${name}/status`, { contentType: 'application/merge-patch+json', body: { status } });
}

/** The commit `rev` compiled into `work`/before (git archive; node_modules shared), for the `before` run. */
function checkout(rev: string, work: string): string {
  const dir = join(work, 'before');
  if (existsSync(join(dir, 'dist/main.js'))) return dir;
  mkdirSync(dir, { recursive: true });
  log(`compiling ${rev} (${execFileSync('git', ['rev-parse', '--short', rev], { cwd: repoRoot, encoding: 'utf8' }).trim()}) into ${dir}`);
  const tar = execFileSync('git', ['archive', rev, 'src', 'tsconfig.build.json', 'tsconfig.json', 'package.json', 'Dockerfile'], { cwd: repoRoot, maxBuffer: 256 * MiB });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

/** The image's environment: the ENV lines of the Dockerfile's last stage (`ENV NAME=VALUE`). */
function shippedEnv(dockerfile: string): Record<string, string> {
  const last = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return Object.fromEntries([...last.matchAll(/^ENV ([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** One standby operator from `root`: readings once synced and settled, after GC, and the heap snapshot. */
async function measure(run: string, root: string, env: Record<string, string>, kubeconfig: string, ns: string, work: string, o: MemoryOptions): Promise<RunResult> {
  const probeDir = join(work, `probe-${run.replace(/[^a-zA-Z0-9]+/g, '-')}`);
  mkdirSync(probeDir, { recursive: true });
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const args = ['--import', `data:text/javascript,${encodeURIComponent(readFileSync(join(import.meta.dirname, 'lib/exit-with-parent.ts'), 'utf8'))}`,
    '--import', join(import.meta.dirname, 'lib/memory-probe.mjs'), ...shippedArgs(dockerfile)];
  const loadAverage1m = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  log(`run ${run}: an operator from ${root === repoRoot ? 'this tree' : root} (load ${loadAverage1m})`);
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, KUBECONFIG: kubeconfig, WATCH_NAMESPACES: ns, LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: ns, LEASE_NAME: leaseName,
      METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`, HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`, LOG_LEVEL: 'warn', MEMORY_PROBE_DIR: probeDir, ...shippedEnv(dockerfile), ...env,
    },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => { child.kill('SIGTERM'); await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]); };
  onCleanup(`stop the operator (pid ${child.pid})`, stop);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`run ${run}: the operator exited (${child.exitCode}) before /readyz`);
      if ((await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200) break;
      if (performance.now() - started > o.syncTimeoutSeconds * 1000) throw new Error(`run ${run}: not ready within ${o.syncTimeoutSeconds} s`);
      await sleep(200);
    }
    const syncSeconds = (performance.now() - started) / 1000;
    const scrape = async () => parseMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    // A run with its own LEASE_NAME leads: it reconciles every Agent, as a
    // leader does after each restart. Its readings come once the queue has
    // been empty for 10 s (or after --sync-timeout).
    await sleep(5000);
    const leader = sumOf(await scrape(), 'leader_election_master_status') > 0;
    if (leader) {
      log(`  synced in ${syncSeconds.toFixed(1)} s; leading: waiting for an empty queue`);
      for (let empty = 0; empty < 10 && performance.now() - started < o.syncTimeoutSeconds * 1000; await sleep(1000)) {
        empty = sumOf(await scrape(), 'workqueue_depth', { name: 'agent' }) === 0 ? empty + 1 : 0;
      }
    }
    log(`  synced in ${syncSeconds.toFixed(1)} s${leader ? `, queue empty after ${((performance.now() - started) / 1000).toFixed(0)} s` : ''}; settling ${o.settleSeconds} s`);
    await sleep(o.settleSeconds * 1000);
    const ask = async (cmd: string): Promise<Reading> => {
      const out = join(probeDir, `${cmd}.json`);
      writeFileSync(join(probeDir, 'cmd'), cmd);
      for (let i = 0; !existsSync(out); i++) {
        if (i > 3000) throw new Error(`run ${run}: no answer to ${cmd}`);
        await sleep(200);
      }
      return JSON.parse(readFileSync(out, 'utf8')) as Reading;
    };
    const settled = await ask('read');
    const afterGc = await ask('gc');
    const samples = await scrape();
    const reconciles = sumOf(samples, 'controller_runtime_reconcile_total', { controller: 'agent' });
    const writes = ['create', 'update', 'patch', 'delete'].reduce((n, verb) => n + sumOf(samples, 'agent_operator_api_requests_total', { verb }) - sumOf(samples, 'agent_operator_api_requests_total', { verb, resource: 'leases' }), 0);
    let snapshot: HeapSummary | undefined;
    if (o.snapshot) {
      // After the readings: writing a snapshot grows the process by about the heap's size.
      await ask('snapshot');
      log('  summarising the heap snapshot');
      snapshot = summariseHeapSnapshot(join(probeDir, 'heap.heapsnapshot'));
      rmSync(join(probeDir, 'heap.heapsnapshot'));
    }
    return { run, loadAverage1m, syncSeconds, leader, reconciles, writes, settled, afterGc, ...(snapshot ? { snapshot } : {}) };
  } finally {
    await stop();
  }
}

/** Per cache kind: the V8 heap its objects take as the informer keeps them, whole and through the transform. */
async function cacheCost(kube: Kube, ns: string): Promise<{ kind: string; objects: number; parsedMiB: number; wholeMiB: number; transformedMiB: number }[]> {
  (await import('node:v8')).setFlagsFromString('--expose-gc');
  const gc = (await import('node:vm')).runInNewContext('gc') as () => void;
  const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const transforms = cacheTransforms as unknown as Record<string, ((o: KubeObject) => KubeObject) | undefined>;
  const kinds = [['agents', `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`], ['deployments', `/apis/apps/v1/namespaces/${ns}/deployments`],
    ['replicaSets', `/apis/apps/v1/namespaces/${ns}/replicasets`], ['pods', `/api/v1/namespaces/${ns}/pods`]] as const;
  const out = [];
  for (const [kind, path] of kinds) {
    const cost = async (transform: (o: KubeObject) => KubeObject, cache = true) => {
      const kept: KubeObject[] = [];
      const before = heap();
      let cont: string | undefined;
      do {
        const page = await kube.request<{ items: KubeObject[]; metadata: { continue?: string } }>('GET', path, { query: { limit: 500, continue: cont } });
        for (const item of page.items) kept.push(cache ? toCached(transform(item), false) : item);
        cont = page.metadata.continue || undefined;
      } while (cont);
      return { n: kept.length, bytes: heap() - before, kept };
    };
    const parsed = await cost((x) => x, false);
    const whole = await cost((x) => x);
    const t = transforms[kind];
    const transformed = t ? await cost(t) : whole;
    out.push({ kind, objects: whole.n, parsedMiB: parsed.bytes / MiB, wholeMiB: whole.bytes / MiB, transformedMiB: transformed.bytes / MiB });
  }
  return out;
}

function table(r: { createSeconds: number; perKind: Awaited<ReturnType<typeof cacheCost>>; runs: RunResult[]; machine: ReturnType<typeof machine>; config: Omit<MemoryOptions, 'help' | 'keep'> }): string {
  const m = (n: number) => (n / MiB).toFixed(1).padStart(7);
  const lines = [`${r.config.agents} Agents, ${r.config.replicaSetsPerAgent} ReplicaSets and ${r.config.podsPerAgent} pods each (written in ${r.createSeconds.toFixed(0)} s); ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}`, ''];
  lines.push('V8 heap of each kind in the bench process, MiB: as JSON.parse leaves it; as this tree\'s informer keeps it without',
    'and with the kind\'s transform (toCached: managedFields dropped, strings shared, frozen)',
    'kind           objects   parsed    whole  transformed  per object, KiB');
  const per = (mib: number, n: number) => ((mib * 1024) / n).toFixed(2);
  for (const k of r.perKind) lines.push(`${k.kind.padEnd(14)} ${String(k.objects).padStart(7)} ${k.parsedMiB.toFixed(1).padStart(8)} ${k.wholeMiB.toFixed(1).padStart(8)} ${k.transformedMiB.toFixed(1).padStart(12)}  ${per(k.parsedMiB, k.objects)} -> ${per(k.wholeMiB, k.objects)} -> ${per(k.transformedMiB, k.objects)}`);
  lines.push('', 'operator processes (standby unless the run has its own LEASE_NAME), MiB (settled | after GC):',
    'run                      load  sync s    RSS  RssAnon  heap used  heap committed  V8 malloc  external  arrayBuffers  rest of anon |  RSS  heap used  peak RSS  reconciles  writes',
    '(rest of anon: RssAnon less the V8 heap\'s physical size and external memory: glibc malloc\'s free lists and arenas, thread stacks)');
  for (const x of r.runs) {
    const s = x.settled;
    const g = x.afterGc;
    lines.push(`${x.run.padEnd(24)} ${x.loadAverage1m.toFixed(1).padStart(5)} ${x.syncSeconds.toFixed(1).padStart(6)} ${m(s.status.VmRSS)} ${m(s.status.RssAnon)} ${m(s.memoryUsage.heapUsed)}   ${m(s.memoryUsage.heapTotal)}      ${m(s.heap.malloced_memory)} ${m(s.memoryUsage.external)}  ${m(s.memoryUsage.arrayBuffers)}       ${m(s.status.RssAnon - s.heap.total_physical_size - s.memoryUsage.external)} | ${m(g.status.VmRSS)} ${m(g.memoryUsage.heapUsed)} ${m(g.status.VmHWM)}  ${String(x.reconciles).padStart(10)}  ${x.writes}`);
  }
  for (const x of r.runs.filter((y) => y.snapshot)) {
    const h = x.snapshot!;
    lines.push('', `heap snapshot of ${x.run}: ${m(h.totalBytes)} MiB in ${h.nodes} nodes; strings ${m(h.strings.bytes)} MiB (${h.strings.count}), of which held more than once ${m(h.strings.duplicateBytes)} MiB`);
    for (const k of h.byKind.slice(0, 15)) lines.push(`  ${m(k.bytes)}  ${String(k.count).padStart(9)}  ${k.kind}`);
    lines.push('  most duplicated strings (MiB beyond one copy, copies, value):');
    for (const d of h.strings.topDuplicates.slice(0, 10)) lines.push(`  ${m(d.bytes)}  ${String(d.count).padStart(9)}  ${JSON.stringify(d.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

await runCommand({ name: 'bench/cache-memory.ts', command: memoryCommand, main, log });

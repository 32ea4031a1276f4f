// make bench-node-loss: the MTTR of losing a node (issue 11), the operator's
// default against Kubernetes' own. One local control plane with the node
// lifecycle controller (hack/cluster up --node-lifecycle: a node is marked
// lost 16 s after its last heartbeat), the operator as `make run` runs it,
// and on one kwok node R replicas each of:
//   - an Agent with the operator's defaults (Deployment mode: tolerations for
//     node.kubernetes.io/unreachable and not-ready of failover.nodeLostSeconds, 30 s);
//   - the same agent as a plain Deployment (the DefaultTolerationSeconds
//     admission plugin gives it 300 s).
// That node is stopped once (hack/cluster node-stop: it stops heartbeating,
// its pods stay as they were), so both lose it at the same instant. Timed from
// the stop, per workload: the node marked lost, the first pod evicted, every
// replica Ready again on another node (MTTR). A table and one JSON line.
// Everything it started is stopped at the end, on failure and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './lib/cleanup.ts';
import { clusterCommand } from './lib/cluster.ts';
import { benchCluster, benchNamespace, machine, workFolder } from './lib/setup.ts';
import { nodeLossCommand, type NodeLossOptions } from './lib/commands.ts';
import { startOperator } from './lib/operator.ts';

const origin = performance.now();
const log = (msg: string) => process.stderr.write(`[bench-node-loss ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const image = 'registry.example/bench-agent:1.0';

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; tolerations?: { key?: string; tolerationSeconds?: number }[] };
  status?: { conditions?: { type: string; status: string }[] };
}
interface Node { metadata: { name: string }; status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } }

const ready = (p: Pod) => !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The two workloads, told apart by the label their pods carry. */
const workloads = {
  operator: { label: 'agent-operator.dev/agent=agent' },
  plain: { label: 'app=plain' },
} as const;
type Which = keyof typeof workloads;

interface Timeline { evictedSeconds: number | null; mttrSeconds: number | null; tolerationSeconds: number | null }

async function main(o: NodeLossOptions): Promise<number> {
  const deadline = origin + o.timeoutSeconds * 1000;
  const host = machine();
  const work = workFolder('agent-operator-bench-node-loss-', o.keep);
  const { cluster, kube } = await benchCluster({ work, nodes: o.nodes, log, nodeLifecycle: true });
  const dir = cluster.dir!;
  const ns = await benchNamespace(kube, `node-loss-${randomBytes(3).toString('hex')}`);
  log(`starting the operator (WATCH_NAMESPACES=${ns})`);
  await startOperator({ kubeconfig: cluster.kubeconfig, namespace: ns, logFile: join(work, 'operator.log') });

  // Every replica on the node to lose: the others are cordoned until they run.
  const lose = 'kwok-node-0';
  const others = Array.from({ length: o.nodes - 1 }, (_, i) => `kwok-node-${i + 1}`);
  const cordon = (name: string, on: boolean) => kube.request('PATCH', `/api/v1/nodes/${name}`, { body: { spec: { unschedulable: on } }, contentType: 'application/merge-patch+json' });
  await Promise.all(others.map((n) => cordon(n, true)));
  await kube.request('POST', `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`, {
    body: { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: 'agent' }, spec: { image, replicas: o.replicas } },
  });
  await kube.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
    body: {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'plain' },
      spec: {
        replicas: o.replicas, selector: { matchLabels: { app: 'plain' } },
        template: { metadata: { labels: { app: 'plain' } }, spec: { containers: [{ name: 'agent', image }] } },
      },
    },
  });
  const pods = async (w: Which) => (await kube.request<{ items: Pod[] }>('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: workloads[w].label } })).items;
  const until = async (what: string, cond: () => Promise<boolean>, byMs: number) => {
    while (!(await cond())) {
      if (performance.now() > byMs) throw new Error(`timed out waiting for ${what}`);
      await sleep(500);
    }
  };
  await until(`${2 * o.replicas} pods Ready on ${lose}`, async () => {
    const all = [...await pods('operator'), ...await pods('plain')];
    return all.filter((p) => ready(p) && p.spec.nodeName === lose).length === 2 * o.replicas;
  }, Math.min(deadline, performance.now() + 180_000));
  await Promise.all(others.map((n) => cordon(n, false)));
  const toleration = async (w: Which) => (await pods(w))[0]?.spec.tolerations?.find((t) => t.key === 'node.kubernetes.io/unreachable')?.tolerationSeconds ?? null;
  const tolerations = { operator: await toleration('operator'), plain: await toleration('plain') };
  log(`${o.replicas} replicas of each on ${lose}; unreachable tolerations: operator ${tolerations.operator} s, plain ${tolerations.plain} s`);

  // The loss, timed from here.
  log(`stopping ${lose}`);
  const stopped = performance.now();
  await clusterCommand(['node-stop', '--dir', dir, lose], (l) => log(`  ${l}`));
  const at = () => (performance.now() - stopped) / 1000;
  let lostSeconds: number | null = null;
  const t: Record<Which, Timeline> = {
    operator: { evictedSeconds: null, mttrSeconds: null, tolerationSeconds: tolerations.operator },
    plain: { evictedSeconds: null, mttrSeconds: null, tolerationSeconds: tolerations.plain },
  };
  let lastSay = 0;
  while ((t.operator.mttrSeconds === null || t.plain.mttrSeconds === null) && performance.now() < deadline) {
    if (lostSeconds === null) {
      const node = await kube.request<Node>('GET', `/api/v1/nodes/${lose}`);
      if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status !== 'True')) lostSeconds = at();
    }
    for (const w of ['operator', 'plain'] as const) {
      if (t[w].mttrSeconds !== null) continue;
      const list = await pods(w);
      if (t[w].evictedSeconds === null && list.some((p) => p.spec.nodeName === lose && p.metadata.deletionTimestamp)) t[w].evictedSeconds = at();
      if (list.filter((p) => ready(p) && p.spec.nodeName !== lose).length >= o.replicas) t[w].mttrSeconds = at();
    }
    if (performance.now() - lastSay > 15_000) {
      lastSay = performance.now();
      log(`${at().toFixed(0)} s after the stop: node lost ${lostSeconds === null ? 'not yet' : `at ${lostSeconds.toFixed(1)} s`}; operator ${t.operator.mttrSeconds === null ? 'waiting' : 'recovered'}, plain ${t.plain.mttrSeconds === null ? 'waiting' : 'recovered'}`);
    }
    await sleep(500);
  }

  const result = {
    date: new Date().toISOString(), machine: host,
    cluster: { nodes: o.nodes, nodeMonitorGracePeriodSeconds: 16, upSeconds: cluster.upSeconds ?? null },
    replicas: o.replicas, nodeLostSeconds: lostSeconds, workloads: t,
  };
  process.stdout.write(table(result.workloads, lostSeconds, o.replicas, host.loadAverage1m));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return t.operator.mttrSeconds !== null && t.plain.mttrSeconds !== null ? 0 : 1;
}

function table(w: Record<Which, Timeline>, lostSeconds: number | null, replicas: number, load: number): string {
  const n = (x: number | null) => (x === null ? 'not within --timeout' : `${x.toFixed(1)} s`);
  const rows: [string, string, string][] = [
    ['seconds after the node stopped heartbeating', 'Agent (operator defaults)', 'plain Deployment'],
    ['unreachable/not-ready toleration', n(w.operator.tolerationSeconds), n(w.plain.tolerationSeconds)],
    ['node marked lost (grace period 16 s)', n(lostSeconds), n(lostSeconds)],
    ['first pod evicted', n(w.operator.evictedSeconds), n(w.plain.evictedSeconds)],
    [`MTTR: all ${replicas} replicas Ready on other nodes`, n(w.operator.mttrSeconds), n(w.plain.mttrSeconds)],
  ];
  const a = Math.max(...rows.map((r) => r[0].length));
  const b = Math.max(...rows.map((r) => r[1].length));
  return `load average (1 min) at the start: ${load.toFixed(2)}\n${rows.map(([k, x, y]) => `${k.padEnd(a)}  ${x.padEnd(b)}  ${y}`).join('\n')}\n`;
}

await runCommand({ name: 'bench-node-loss', command: nodeLossCommand, main, log });

// The bring-up every bench shares, in one place: a work folder, the cluster
// (its own local control plane, or BENCH_KUBECONFIG's where the bench allows
// that), a connection, the Agent CRD, a namespace ready for pods, the watches.
// Each step registers its undo (bench/lib/cleanup.ts) before it returns, so a
// failure or Ctrl-C at any point leaves nothing running.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';
import { defaultServiceAccount, installCRD, startCluster, type BenchCluster } from './cluster.ts';
import { Kube } from './kube.ts';
import { Observer } from './observe.ts';

export interface Machine { cpu: string; cores: number; memoryGiB: number; os: string; node: string; loadAverage1m: number }

/** The machine the figures were taken on, with its load when the bench started. */
export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, memoryGiB: totalmem() / 1024 ** 3,
    os: `${type()} ${release()}`, node: process.versions.node, loadAverage1m: loadavg()[0] ?? 0,
  };
}

/** A fresh folder under the system's temp folder, removed at the end unless kept. */
export function workFolder(prefix: string, keep: boolean): string {
  const work = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(keep ? `keep ${work}` : `remove ${work}`, () => (keep ? undefined : rmSync(work, { recursive: true, force: true })));
  return work;
}

export interface ClusterPlan {
  work: string;
  nodes: number;
  log: (msg: string) => void;
  /** Use the cluster BENCH_KUBECONFIG names when it is set (the Deployment benches allow it). */
  allowExternal?: boolean;
  addons?: string;
  realNode?: boolean;
  nodeLifecycle?: boolean;
}

export interface Bench { cluster: BenchCluster; kube: Kube; external: boolean }

/** The cluster up (or BENCH_KUBECONFIG's), connected, with the Agent CRD Established. */
export async function benchCluster(p: ClusterPlan): Promise<Bench> {
  const sub = (l: string) => p.log(`  ${l}`);
  const externalKubeconfig = p.allowExternal ? process.env['BENCH_KUBECONFIG'] : undefined;
  let cluster: BenchCluster;
  if (externalKubeconfig) cluster = { kubeconfig: externalKubeconfig };
  else {
    const dir = join(p.work, 'cluster');
    const extras = [p.nodeLifecycle ? ' and the node lifecycle controller' : '', p.realNode ? ' and the real node' : ''].join('');
    p.log(`starting a local control plane with ${p.nodes} kwok nodes${extras} in ${dir}`);
    cluster = await startCluster(dir, p.nodes, sub, { ...(p.addons ? { addons: p.addons } : {}), ...(p.realNode ? { realNode: true } : {}), ...(p.nodeLifecycle ? { nodeLifecycle: true } : {}) });
  }
  const kube = await Kube.connect(cluster.kubeconfig);
  onCleanup('close connections', () => kube.close());
  if (!externalKubeconfig && !['127.0.0.1', 'localhost', '[::1]'].includes(kube.server.hostname)) throw new Error(`expected a loopback apiserver, got ${kube.server.href}`);
  p.log('installing the CRD');
  await installCRD(cluster.kubeconfig, kube, sub);
  return { cluster, kube, external: externalKubeconfig !== undefined };
}

/**
 * A new namespace that takes pods (its default ServiceAccount exists).
 * `deleteAtEnd`: on a cluster the bench did not start, nothing else would remove it.
 */
export async function benchNamespace(kube: Kube, name: string, o: { deleteAtEnd?: boolean } = {}): Promise<string> {
  await kube.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  if (o.deleteAtEnd) onCleanup(`delete namespace ${name}`, () => kube.request('DELETE', `/api/v1/namespaces/${name}`).catch(() => {}));
  await defaultServiceAccount(kube, name);
  return name;
}

/** The bench's watches on the namespace, stopped at the end. */
export async function watchNamespace(kube: Kube, ns: string): Promise<Observer> {
  const obs = new Observer();
  await obs.start(kube, ns);
  onCleanup('stop watches', () => obs.stop());
  return obs;
}

/** After a failure: the last lines of the operator's log, where the cause usually is. */
export function showLogTail(file: string | undefined, log: (msg: string) => void, lines = 30): void {
  if (file && existsSync(file)) log(`last lines of the operator log:\n${readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}`);
}

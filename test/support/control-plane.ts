// Faults of the local control plane itself (hack/cluster's processes): freeze
// a component with SIGSTOP, restart it. Only for a cluster of the file's own
// (useCluster({ private: true })): nothing else may see these faults. Every
// fault is undone in the file's teardown too, so a failing test never leaves a
// frozen apiserver behind for `hack/cluster down`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import { repoRoot, run } from './cluster.ts';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

function clusterDirOf(cluster: Cluster): string {
  if (cluster.source !== 'private' || !cluster.clusterDir) {
    throw new Error('control-plane faults need a private local control plane: useCluster({ private: true })');
  }
  return cluster.clusterDir;
}

/** The pid hack/cluster recorded for the component (it changes on restart). */
export function componentPid(cluster: Cluster, component: Component): number {
  const text = readFileSync(join(clusterDirOf(cluster), 'pids', `${component}.pid`), 'utf8').trim();
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid recorded for ${component}: "${text}"`);
  return pid;
}

export interface Frozen {
  /** SIGCONT; idempotent. */
  thaw(): void;
}

/**
 * SIGSTOP: the process keeps its sockets (the kernel still accepts
 * connections into the listen backlog) but answers nothing, as a hung or
 * swapped-out apiserver does; clients see timeouts, not refused connections.
 */
export function freeze(cluster: Cluster, component: Component): Frozen {
  const pid = componentPid(cluster, component);
  let frozen = true;
  const thaw = () => {
    if (!frozen) return;
    frozen = false;
    try {
      process.kill(pid, 'SIGCONT');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  };
  cluster.onTeardown(thaw);
  process.kill(pid, 'SIGSTOP');
  return { thaw };
}

/**
 * Stops the component and starts it again on the same ports and data
 * (hack/cluster restart); resolves once it is healthy. `crash`: SIGKILL instead
 * of a graceful stop, so connections break mid-request (and no 20 s drain).
 */
export async function restart(cluster: Cluster, component: Component, opts: { crash?: boolean } = {}): Promise<void> {
  const args = ['restart', '--dir', clusterDirOf(cluster), ...(opts.crash ? ['--kill'] : []), component];
  const res = await run(join(repoRoot, 'hack/cluster'), args, { timeoutMs: 180_000 });
  if (res.code !== 0) throw new Error(`hack/cluster restart ${component} failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
}

// Losing a node on the local control plane (hack/cluster node-stop/node-start):
// a kwok node stops heartbeating, the real node's kubelet stops. Only a
// cluster up with --node-lifecycle (useCluster({ private: true,
// nodeLifecycle: true })) then marks it lost and evicts its pods.
import { join } from 'node:path';
import type { V1Node } from '@kubernetes/client-node';
import { repoRoot, run, type Cluster } from './cluster.ts';

async function node(cluster: Cluster, verb: 'node-stop' | 'node-start', name: string): Promise<void> {
  if (!cluster.clusterDir) throw new Error(`${verb} needs a hack/cluster control plane (no cluster dir)`);
  const out = await run(join(repoRoot, 'hack/cluster'), [verb, '--dir', cluster.clusterDir, name], { timeoutMs: 180_000 });
  if (out.code !== 0) throw new Error(`hack/cluster ${verb} ${name} failed (exit ${out.code}):\n${out.stderr}${out.stdout}`);
}

/** The node stops heartbeating now (as if it lost power or its network). */
export const stopNode = (cluster: Cluster, name: string) => node(cluster, 'node-stop', name);
/** The node heartbeats again and is Ready when this resolves. */
export const startNode = (cluster: Cluster, name: string) => node(cluster, 'node-start', name);

/** The node's Ready condition status: 'True', 'False', 'Unknown' (lost), or undefined. */
export function nodeReady(n: V1Node): string | undefined {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

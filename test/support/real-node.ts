// The real node (hack/real-node): a kubelet with containerd and runc beside
// the kwok nodes, where the failures the operator handles are produced by a
// real kernel and kubelet. Tests ask for it by name, toleration and storage
// class; on a machine that cannot run it (not root, no cgroups) they skip
// with the reason hack/test.ts or useCluster recorded.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { podReady } from './agents.ts';
import type { Cluster } from './cluster.ts';

export const realNodeName = 'real-node';
export const realNodeStorageClass = 'real-node';

/** What an Agent's podTemplate needs to land on the real node (and only there). */
export const onRealNode = {
  nodeSelector: { 'kubernetes.io/hostname': realNodeName },
  tolerations: [{ key: 'agent-operator.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
} as const;

/**
 * Skips the test (with the reason) unless the cluster has the real node Ready.
 * Returns true when the test should go on. A machine that can run the node but
 * whose cluster lacks it is a failure, not a skip: that is what CI must catch.
 */
export async function requireRealNode(t: TestContext, cluster: Cluster): Promise<boolean> {
  const skip = process.env.E2E_REAL_NODE_SKIP;
  const node = await cluster.core.readNode({ name: realNodeName }).catch(() => undefined);
  const ready = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (ready) return true;
  if (skip) {
    t.skip(`no real node: ${skip}`);
    return false;
  }
  if (cluster.source !== 'private' && !cluster.clusterDir) {
    t.skip(`no real node in this cluster (${cluster.source}); run the local control plane with --real-node`);
    return false;
  }
  throw new Error(`the cluster has no Ready node ${realNodeName}, though this machine can run one (see hack/cluster logs: kubelet.log, containerd.log)`);
}

export interface RealNodeImages {
  /** the test agent (hack/tools/images/agent): behaviour from env, GET /info tells what it saw */
  agent: string;
  /** Debian's prometheus-node-exporter, a real third-party agent */
  nodeExporter: string;
  /** the operator's own image (Node.js 24 + dist/), as the Dockerfile describes it */
  operator: string;
}

/** The image references loaded into the real node, from the images.env of each folder hack/build-images made. */
export function realNodeImages(cluster: Cluster): RealNodeImages {
  const dir = cluster.clusterDir ?? process.env.E2E_CLUSTER_DIR;
  if (!dir) throw new Error('the real node\'s images are known only on a hack/cluster control plane (no cluster dir)');
  const refs = imageRefs(readFileSync(join(dir, 'real-node/images-dirs'), 'utf8').split('\n').filter(Boolean));
  const find = (key: string) => {
    const ref = refs[key];
    if (!ref) throw new Error(`no ${key}_IMAGE in the real node's images.env files (${JSON.stringify(refs)})`);
    return ref;
  };
  return { agent: find('AGENT'), nodeExporter: find('NODE_EXPORTER'), operator: find('OPERATOR') };
}

/** NAME -> image reference, from the images.env of each folder hack/build-images made (AGENT_IMAGE=... gives AGENT). */
export function imageRefs(folders: readonly string[]): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const folder of folders) {
    for (const line of readFileSync(join(folder, 'images.env'), 'utf8').split('\n')) {
      const m = /^([A-Z_]+)_IMAGE=(.+)$/.exec(line.trim());
      if (m) refs[m[1]!] = m[2]!;
    }
  }
  return refs;
}

/** What the test agent reports on GET /info (hack/tools/images/agent/main.go). */
export interface AgentInfo {
  version: string;
  hostname: string;
  pid: number;
  uid: number;
  gid: number;
  startedAt: string;
  starts: number;
  stateFile: string;
  stateError?: string;
  config: { path: string; sha256?: string; keys: string[]; values: Record<string, string>; error?: string };
  /** How often the process loaded its config (1 at start, +1 per reload that changed it), and when it last did. */
  configLoads: number;
  configLoadedAt: string;
  secret?: { env: string; set: boolean; sha256?: string };
  allocatedMiB: number;
  ready: string;
  live: string;
}

/** GET /info from a pod of the real node, over the node's bridge (host -> pod IP). */
export async function agentInfo(cluster: Cluster, namespace: string, pod: string, port = 8080): Promise<AgentInfo> {
  const p = await cluster.core.readNamespacedPod({ namespace, name: pod });
  const ip = p.status?.podIP;
  if (!ip) throw new Error(`pod ${pod} has no IP yet`);
  const res = await fetch(`http://${ip}:${port}/info`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET /info from ${pod}: ${res.status}`);
  return await res.json() as AgentInfo;
}

/** The Ready pods of an Agent on the real node, by the operator's instance label. */
export async function readyPods(cluster: Cluster, namespace: string, agent: string) {
  const pods = await cluster.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${agent}` });
  return pods.items.filter(podReady);
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

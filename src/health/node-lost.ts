import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { revisionAnnotation } from '../api/annotations.ts';
import { nodeLostTaints } from '../api/failover.ts';
import { statusTime, toMs } from '../lib/time.ts';
import type { Failure } from './failure.ts';

// Pods on a lost node -> NodeLost failures. Pure: the nodes come in as read.
//
// A node is lost when its kubelet stops heartbeating: the node lifecycle
// controller sets its Ready condition to Unknown (False when the kubelet says
// it is not ready) and taints it node.kubernetes.io/unreachable (not-ready).
// The pod still looks Running (nobody updates it but that controller, which
// only turns its Ready condition False), so without the node the operator
// would read a running pod that never becomes Ready.

/** What the operator keeps of a Node: its Ready condition and lost-node taints, or that it is gone. */
export interface NodeView {
  name: string;
  /** No Node object of that name (deleted). */
  gone?: true;
  /** The Ready condition's status. */
  ready?: string;
  /** When the Ready condition last changed (RFC 3339). */
  readySince?: string;
  /** The lost-node taints it carries, with when they were added. */
  taints: { key: string; effect: string; timeAdded?: string }[];
}

export function nodeView(name: string, node: V1Node | null): NodeView {
  if (node === null) return { name, gone: true, taints: [] };
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const since = toMs(ready?.lastTransitionTime);
  return {
    name,
    ...(ready?.status !== undefined ? { ready: ready.status } : {}),
    ...(since !== undefined ? { readySince: statusTime(since) } : {}),
    taints: (node.spec?.taints ?? []).filter((t) => (nodeLostTaints as readonly string[]).includes(t.key)).map((t) => {
      const added = toMs(t.timeAdded);
      return { key: t.key, effect: t.effect, ...(added !== undefined ? { timeAdded: statusTime(added) } : {}) };
    }),
  };
}

/** Lost: why, and since when (RFC 3339, when the cluster says). */
export interface Lost { why: string; since?: string }

export function lost(n: NodeView): Lost | undefined {
  if (n.gone) return { why: 'its Node object is gone' };
  const taint = n.taints.find((t) => t.effect === 'NoExecute') ?? n.taints[0];
  if (n.ready === 'Unknown' || n.ready === 'False' || taint) {
    const why = n.ready === 'Unknown' ? 'has stopped reporting (Ready Unknown)'
      : n.ready === 'False' ? 'is not ready (Ready False)'
      : `is tainted ${taint!.key}`;
    const since = n.ready !== 'True' && n.readySince !== undefined ? n.readySince : taint?.timeAdded;
    return { why, ...(since !== undefined ? { since } : {}) };
  }
  return undefined;
}

/** Most nodes read in one reconcile: a fleet-wide outage is told by the first ones. */
export const maxNodesRead = 20;

/**
 * The nodes worth reading: those of pods not Ready or being deleted (a pod on
 * a lost node is one or the other). A converged Agent reads none.
 */
export function nodesToRead(pods: readonly V1Pod[]): string[] {
  const names = new Set<string>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node) continue;
    const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    if (!ready || p.metadata?.deletionTimestamp) names.add(node);
  }
  return [...names].sort().slice(0, maxNodesRead);
}

/**
 * One NodeLost failure per pod on a lost node. `kind` is the workload's: a
 * Deployment's pod being deleted (evicted) is no replica any more, its
 * ReplicaSet has started a replacement elsewhere, and it stays Terminating
 * only until the node confirms, which a lost node never does: it would hold
 * the Agent NotReady next to a Ready replacement. A StatefulSet's is still
 * the replica (its name is taken until it goes), a DaemonSet's has no other
 * node: those stay reported.
 */
export function nodeLostFailures(pods: readonly V1Pod[], nodes: readonly NodeView[], kind?: string): Failure[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out: Failure[] = [];
  for (const p of pods) {
    const node = byName.get(p.spec?.nodeName ?? '');
    const l = node && lost(node);
    if (!node || !l || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    if (kind === 'Deployment' && p.metadata?.deletionTimestamp) continue;
    const uid = p.metadata?.uid ?? '';
    const revision = p.metadata?.annotations?.[revisionAnnotation];
    const evicted = p.metadata?.deletionTimestamp ? '; the pod is being deleted and waits for the node to confirm it' : '';
    out.push({
      reason: 'NodeLost', key: `NodeLost/${uid}`, active: true,
      pod: p.metadata?.name ?? '', podUid: uid, node: node.name,
      ...(revision !== undefined ? { revision } : {}),
      ...(l.since !== undefined ? { since: l.since } : {}),
      message: `node ${node.name} ${l.why}${l.since ? ` since ${l.since}` : ''}${evicted}`,
    });
  }
  return out;
}

/**
 * The failures of one reconcile with the node losses laid over them: what a
 * pod on a lost node showed before (a stale Running, its Ready turned False
 * by the node lifecycle controller) is no finding of its own.
 */
export function withNodeLost(failures: readonly Failure[], nodeLost: readonly Failure[]): Failure[] {
  if (nodeLost.length === 0) return [...failures];
  const onLost = new Set(nodeLost.map((f) => f.podUid));
  return [...failures.filter((f) => f.podUid === undefined || !onLost.has(f.podUid)), ...nodeLost];
}

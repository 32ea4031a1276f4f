import type { V1Pod } from '@kubernetes/client-node';
import type { Failure } from './failure.ts';

/** Nodes named in a fleet summary; the rest are counted. */
export const fleetNamesListed = 5;

/**
 * One line for a DaemonSet's failures across its fleet: "4 of 200 nodes
 * failing: node-17 OOMKilled, node-3 CrashLoopBackOff, … and 2 more". Bounded
 * whatever the fleet size, so the status (and the Argo CD message) stays
 * readable at ten thousand nodes; the per-failure diagnosis follows it.
 * Nodes in name order, so the text does not change between reconciles unless
 * the failures do. Undefined without an active failure on a scheduled pod.
 */
export function fleetSummary(failures: readonly Failure[], pods: readonly V1Pod[], desiredNodes: number): string | undefined {
  const nodeOf = new Map(pods.map((p) => [p.metadata?.uid ?? '', p.spec?.nodeName]));
  const byNode = new Map<string, string>();
  for (const f of failures) {
    if (!f.active || f.podUid === undefined) continue;
    const node = nodeOf.get(f.podUid);
    if (node && !byNode.has(node)) byNode.set(node, f.reason);
  }
  if (byNode.size === 0) return undefined;
  const nodes = [...byNode.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const named = nodes.slice(0, fleetNamesListed).map((n) => `${n} ${byNode.get(n)}`).join(', ');
  const more = nodes.length > fleetNamesListed ? ` and ${nodes.length - fleetNamesListed} more` : '';
  return `${nodes.length} of ${Math.max(desiredNodes, nodes.length)} nodes failing: ${named}${more}`;
}

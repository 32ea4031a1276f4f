// The node-loss class: a kwok node stops heartbeating (hack/cluster node-stop,
// as if it lost power) and comes back --node-down seconds later (node-start).
// The cluster runs the node lifecycle controller (hack/cluster up
// --node-lifecycle), so the node is marked lost 16 s after its last heartbeat
// and each pod is evicted when its toleration runs out: 300 s for a plain
// Deployment (the DefaultTolerationSeconds admission plugin), the operator's
// spec.failover.nodeLostSeconds (30 s) for an Agent. Agent i's pods prefer
// node i mod N in every arm (fleet.ts), so one loss hits the same agents in
// each arm; the health ledgers count a pod on a stopped node as down from the
// stop, whatever its status still says.
import { clusterCommand } from '../lib/cluster.ts';

/** The cluster's kwok nodes (kwok-node-0, 1, ...), in number order. */
export function kwokNodes(names: readonly string[]): string[] {
  const n = (s: string) => Number(/^kwok-node-(\d+)$/.exec(s)?.[1] ?? NaN);
  return names.filter((s) => !Number.isNaN(n(s))).sort((a, b) => n(a) - n(b));
}

export interface NodeLoss {
  stop(node: string): Promise<void>;
  start(node: string): Promise<void>;
  /** Starts every node still stopped (the run's end). */
  restoreAll(): Promise<void>;
}

/**
 * Stops and starts nodes of the cluster in `dir`, one command at a time (each
 * restarts kwok); two faults on one node stop it once and start it when the
 * later one ends. `changed(node, down)` is called as the node goes down (before
 * the command) and once it is back (after it).
 */
export function nodeLoss(dir: string, changed: (node: string, down: boolean) => void, log: (m: string) => void): NodeLoss {
  const down = new Map<string, number>();
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (f: () => Promise<void>): Promise<void> => {
    const next = queue.then(f);
    queue = next.catch(() => {});
    return next;
  };
  const sub = (l: string) => log(`  ${l}`);
  const self: NodeLoss = {
    stop: (node) => {
      down.set(node, (down.get(node) ?? 0) + 1);
      if (down.get(node)! > 1) return Promise.resolve();
      changed(node, true);
      return serial(() => clusterCommand(['node-stop', '--dir', dir, node], sub));
    },
    start: (node) => {
      const n = (down.get(node) ?? 0) - 1;
      if (n > 0) { down.set(node, n); return Promise.resolve(); }
      down.delete(node);
      return serial(async () => {
        await clusterCommand(['node-start', '--dir', dir, node], sub);
        changed(node, false);
      });
    },
    restoreAll: async () => {
      for (const node of [...down.keys()]) {
        down.set(node, 1);
        await self.start(node);
      }
    },
  };
  return self;
}

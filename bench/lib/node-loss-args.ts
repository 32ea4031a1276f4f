// Command line of bench/node-loss.ts. Pure: argv in, options or an error out.
import { forEachFlag, wholeNumber } from './args.ts';

export interface NodeLossOptions {
  /** Replicas of each workload, all on the node that is lost. */
  replicas: number;
  /** kwok nodes: the one lost plus where the replicas go. */
  nodes: number;
  timeoutSeconds: number;
  keep: boolean;
  help: boolean;
}

export const nodeLossUsage = `usage: node bench/node-loss.ts [options]     (make bench-node-loss)

Starts a local control plane with the node lifecycle controller
(hack/cluster up --node-lifecycle: grace period 16 s), the operator, and on
one kwok node both an Agent with the operator's defaults (Deployment mode,
failover.nodeLostSeconds 30) and the same agent as a plain Deployment
(Kubernetes' default 300 s tolerations); stops that node once
(hack/cluster node-stop) and prints, side by side, the time from the stop
to every replica Ready again on another node (MTTR).

  --replicas R     replicas of each workload (default 2)
  --nodes K        kwok nodes, at least 2 (default 3)
  --timeout S      whole run, seconds (default 900; the plain Deployment
                   alone needs about 16 + 300 s)
  --keep           keep the work folder (operator and cluster logs)`;

const numeric: Record<string, [keyof NodeLossOptions, number, number]> = {
  '--replicas': ['replicas', 1, 50],
  '--nodes': ['nodes', 2, 20],
  '--timeout': ['timeoutSeconds', 120, 86400],
};

export function parseNodeLossArgs(argv: readonly string[]): NodeLossOptions {
  const o: NodeLossOptions = { replicas: 2, nodes: 3, timeoutSeconds: 900, keep: false, help: false };
  forEachFlag(argv, (flag, value, arg) => {
    if (flag === '--help' || flag === '-h') o.help = true;
    else if (flag === '--keep') o.keep = true;
    else if (numeric[flag]) {
      const [key, min, max] = numeric[flag];
      (o as unknown as Record<string, number>)[key] = wholeNumber(flag, value(), min, max);
    } else throw new Error(`unknown argument ${arg}`);
  });
  return o;
}

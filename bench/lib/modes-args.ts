// Command line of bench/modes.ts. Pure: argv in, options or an error out.
import { forEachFlag, wholeNumber } from './args.ts';

export interface ModesOptions {
  /** kwok nodes, so DaemonSet pods (one per node). */
  nodes: number;
  /** StatefulSet replicas. */
  replicas: number;
  /** Pods OOM-killed per Agent, one after another. */
  samples: number;
  /** The span with nothing changing in which idle writes are counted. */
  idleSeconds: number;
  timeoutSeconds: number;
  sampleTimeoutSeconds: number;
  keep: boolean;
  help: boolean;
}

export const modesUsage = `usage: node bench/modes.ts [options]     (make bench-modes)

Starts a local control plane with K kwok nodes, the operator, one DaemonSet-mode
Agent (a pod on every node) and one StatefulSet-mode Agent (R replicas, a claim
each); measures convergence, idle writes and detection latency per mode.

  --nodes K                kwok nodes, so DaemonSet pods (default 200)
  --replicas R             StatefulSet replicas (default 10)
  --samples M              pods OOM-killed per Agent, one after another (default 20)
  --idle-seconds S         idle span after both Agents settled (default 60)
  --timeout S              whole run, seconds (default 1200)
  --sample-timeout S       per sample, seconds (default 30)
  --keep                   keep the work folder (operator log)`;

const numeric: Record<string, [keyof ModesOptions, number, number]> = {
  '--nodes': ['nodes', 1, 200],
  '--replicas': ['replicas', 1, 100],
  '--samples': ['samples', 0, 200],
  '--idle-seconds': ['idleSeconds', 0, 3600],
  '--timeout': ['timeoutSeconds', 60, 86400],
  '--sample-timeout': ['sampleTimeoutSeconds', 1, 3600],
};

export function parseModesArgs(argv: readonly string[]): ModesOptions {
  const o: ModesOptions = { nodes: 200, replicas: 10, samples: 20, idleSeconds: 60, timeoutSeconds: 1200, sampleTimeoutSeconds: 30, keep: false, help: false };
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

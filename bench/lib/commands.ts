// The command lines of the bench entry points (make chaos's is bench/chaos/args.ts),
// each a table for the one parser in ./args.ts. Option names are what users
// and the Makefile already pass; change them only with the docs.
import { resolve } from 'node:path';
import { choice, text, toggle, whole, type Command } from './args.ts';
import type { OperatorKind } from './side-by-side.ts';
import type { OperatorFrom } from './operator.ts';

const benchKubeconfig = 'Environment: BENCH_KUBECONFIG=path uses that cluster instead of starting one.';
const keepHelp = 'keep the work folder (operator log)';

// ---- bench/detection.ts (make bench-detection)

export interface BenchOptions {
  agents: number;
  samples: number;
  createConcurrency: number;
  sampleConcurrency: number;
  /** Whole run, seconds (the bench stops and reports what it has). */
  timeoutSeconds: number;
  /** Convergence phase, seconds. */
  convergeTimeoutSeconds: number;
  sampleTimeoutSeconds: number;
  /** Operator WORKERS; undefined: the operator's default. */
  workers: number | undefined;
  /** kwok nodes; undefined: enough for the pods. */
  nodes: number | undefined;
  /** Write the operator's V8 CPU profile here. */
  cpuProfDir: string | undefined;
  /** Write the once-a-second metrics time series here (CSV). */
  seriesFile: string | undefined;
  /** Restart the operator at the end and measure the fresh process. */
  restart: boolean;
  /** Keep the work folder (operator log) instead of deleting it. */
  keep: boolean;
  help: boolean;
}

export const detectionCommand: Command<BenchOptions> = {
  synopsis: 'usage: node bench/detection.ts [options]     (make bench)',
  about: `Starts a local control plane (or uses BENCH_KUBECONFIG), the operator, N Agents;
measures convergence, detection latency, the operator's memory and API writes.`,
  flags: {
    '--agents': whole('agents', 1, 20000, 'N', 'Agents to create (default 1000)'),
    '--samples': whole('samples', 0, 20000, 'M', 'pods to OOM-kill, one per Agent (default 200)'),
    '--create-concurrency': whole('createConcurrency', 1, 256, 'C', 'Agent creates in flight (default 16)'),
    '--sample-concurrency': whole('sampleConcurrency', 1, 64, 'S', 'samples in flight (default 1: one after another)'),
    '--timeout': whole('timeoutSeconds', 10, 86400, 'S', 'whole run, seconds (default 1800)'),
    '--converge-timeout': whole('convergeTimeoutSeconds', 10, 86400, 'S', 'wait for all Agents Ready, seconds (default 900)'),
    '--sample-timeout': whole('sampleTimeoutSeconds', 1, 3600, 'S', 'per sample, seconds (default 30)'),
    '--workers': whole('workers', 1, 64, 'W', "operator WORKERS (default: the operator's, 2)"),
    '--nodes': whole('nodes', 1, 200, 'K', 'kwok nodes (default: 110 pods each, 10 % spare)'),
    '--cpu-prof': text('cpuProfDir', 'DIR', "write the operator's V8 CPU profile into DIR"),
    '--series': text('seriesFile', 'FILE', "write the operator's metrics, once a second, as CSV"),
    '--no-restart': toggle('restart', false, 'skip the last phase (operator restarted with every Agent converged)'),
    '--keep': toggle('keep', true, keepHelp),
  },
  footer: benchKubeconfig,
  defaults: () => ({
    agents: 1000, samples: 200, createConcurrency: 16, sampleConcurrency: 1,
    timeoutSeconds: 1800, convergeTimeoutSeconds: 900, sampleTimeoutSeconds: 30,
    workers: undefined, nodes: undefined, cpuProfDir: undefined, seriesFile: undefined, restart: true, keep: false, help: false,
  }),
  finish: (o) => { o.samples = Math.min(o.samples, o.agents); },
};

// ---- bench/modes.ts (make bench-modes)

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

export const modesCommand: Command<ModesOptions> = {
  synopsis: 'usage: node bench/modes.ts [options]     (make bench-modes)',
  about: `Starts a local control plane with K kwok nodes, the operator, one DaemonSet-mode
Agent (a pod on every node) and one StatefulSet-mode Agent (R replicas, a claim
each); measures convergence, idle writes and detection latency per mode.`,
  flags: {
    '--nodes': whole('nodes', 1, 200, 'K', 'kwok nodes, so DaemonSet pods (default 200)'),
    '--replicas': whole('replicas', 1, 100, 'R', 'StatefulSet replicas (default 10)'),
    '--samples': whole('samples', 0, 200, 'M', 'pods OOM-killed per Agent, one after another (default 20)'),
    '--idle-seconds': whole('idleSeconds', 0, 3600, 'S', 'idle span after both Agents settled (default 60)'),
    '--timeout': whole('timeoutSeconds', 60, 86400, 'S', 'whole run, seconds (default 1200)'),
    '--sample-timeout': whole('sampleTimeoutSeconds', 1, 3600, 'S', 'per sample, seconds (default 30)'),
    '--keep': toggle('keep', true, keepHelp),
  },
  defaults: () => ({ nodes: 200, replicas: 10, samples: 20, idleSeconds: 60, timeoutSeconds: 1200, sampleTimeoutSeconds: 30, keep: false, help: false }),
};

// ---- bench/node-loss.ts (make bench-node-loss)

export interface NodeLossOptions {
  /** Replicas of each workload, all on the node that is lost. */
  replicas: number;
  /** kwok nodes: the one lost plus where the replicas go. */
  nodes: number;
  timeoutSeconds: number;
  keep: boolean;
  help: boolean;
}

export const nodeLossCommand: Command<NodeLossOptions> = {
  synopsis: 'usage: node bench/node-loss.ts [options]     (make bench-node-loss)',
  about: `Starts a local control plane with the node lifecycle controller
(hack/cluster up --node-lifecycle: grace period 16 s), the operator, and on
one kwok node both an Agent with the operator's defaults (Deployment mode,
failover.nodeLostSeconds 30) and the same agent as a plain Deployment
(Kubernetes' default 300 s tolerations); stops that node once
(hack/cluster node-stop) and prints, side by side, the time from the stop
to every replica Ready again on another node (MTTR).`,
  flags: {
    '--replicas': whole('replicas', 1, 50, 'R', 'replicas of each workload (default 2)'),
    '--nodes': whole('nodes', 2, 20, 'K', 'kwok nodes, at least 2 (default 3)'),
    '--timeout': whole('timeoutSeconds', 120, 86400, 'S', 'whole run, seconds (default 900; the plain Deployment\nalone needs about 16 + 300 s)'),
    '--keep': toggle('keep', true, 'keep the work folder (operator and cluster logs)'),
  },
  defaults: () => ({ replicas: 2, nodes: 3, timeoutSeconds: 900, keep: false, help: false }),
};

// ---- bench/compare.ts (make bench)

const operatorKinds: readonly OperatorKind[] = ['agent-operator', 'baseline'];

export interface CompareOptions {
  agents: number;
  samples: number;
  rounds: number;
  only: OperatorKind | undefined;
  idleSeconds: number;
  leaderElect: boolean;
  /** Our Agents' spec.recovery.oomKilled.action: None measures detection on the baseline's work (a status write, no memory raise rolled out). */
  oomAction: 'IncreaseMemory' | 'None';
  keep: boolean;
  cpuProfDir: string | undefined;
  from: OperatorFrom;
  help: boolean;
}

export const compareCommand: Command<CompareOptions> = {
  synopsis: 'usage: node bench/compare.ts [--agents N] [--samples M] [--rounds R] [--only agent-operator|baseline] [--idle-seconds S] [--leader-elect] [--oom-action IncreaseMemory|None] [--from dist|src] [--keep]   (make bench)',
  flags: {
    '--agents': whole('agents', 1, 20000, 'N', 'Agents per run (default 200)'),
    '--samples': whole('samples', 0, 20000, 'M', 'pods OOM-killed per run for detection latency (default 50)'),
    '--rounds': whole('rounds', 1, 10, 'R', 'rounds; each runs both operators, alternating which goes first (default 1)'),
    '--only': choice('only', operatorKinds, 'KIND', 'run one operator only'),
    '--idle-seconds': whole('idleSeconds', 10, 3600, 'S', 'each of the two idle spans after convergence (default 60)'),
    '--leader-elect': toggle('leaderElect', true, 'both operators elect a leader (a Lease in the run\'s namespace, 15/10/2 s),\nas a replicated deployment does: idle then includes the renewals'),
    '--oom-action': choice('oomAction', ['IncreaseMemory', 'None'] as const, 'ACTION', 'our Agents\' recovery.oomKilled.action (default IncreaseMemory, the operator\'s own default);\nNone: a detection sample is a status write and no memory raise rolled out, the baseline\'s work'),
    '--cpu-prof': text('cpuProfDir', 'DIR', "write agent-operator's V8 CPU profile into DIR (at its exit)", (v) => resolve(v)),
    '--from': choice('from', ['dist', 'src'] as const, 'FROM', 'agent-operator as the image runs it (dist: the Dockerfile\'s node flags and\ndist/main.js, compiled first; the default) or as make run does (src: node src/main.ts)'),
    '--keep': toggle('keep', true, 'keep the work folder (operator logs)'),
  },
  defaults: () => ({ agents: 200, samples: 50, rounds: 1, only: undefined, idleSeconds: 60, leaderElect: false, oomAction: 'IncreaseMemory', keep: false, cpuProfDir: undefined, from: 'dist', help: false }),
  finish: (o) => { o.samples = Math.min(o.samples, o.agents); },
};

// ---- bench/shards.ts (make bench-shards)

export interface ShardsOptions {
  agents: number;
  /** Runs, in order: K operator processes with SHARDS=K (1: one process, no election), W workers each (undefined: the operator's default). */
  runs: { shards: number; workers: number | undefined }[];
  timeoutSeconds: number;
  keep: boolean;
  help: boolean;
}

export const shardsCommand: Command<ShardsOptions> = {
  synopsis: 'usage: node bench/shards.ts [--agents N] [--runs K[:W],...] [--keep]   (make bench-shards)',
  about: `One local control plane (or BENCH_KUBECONFIG); per run, a fresh namespace and K
operator processes with SHARDS=K (K=1: one process, no election) and W workers
each: N Agents created, time until all Ready, CPU and RSS of every process.`,
  flags: {
    '--agents': whole('agents', 1, 20000, 'N', 'Agents per run (default 1000)'),
    '--runs': {
      arg: 'K[:W],...', help: "the runs in this order: K shards (processes), W workers each\n(default 1,2,1:4: 2 shards of 2 workers against 1 process of 2 and of 4)",
      apply: (o, v, flag) => {
        o.runs = v.split(',').map((entry) => {
          const m = /^\s*(\d+)(?::(\d+))?\s*$/.exec(entry);
          const shards = Number(m?.[1]);
          const workers = m?.[2] === undefined ? undefined : Number(m[2]);
          if (!m || shards < 1 || shards > 8 || (workers !== undefined && (workers < 1 || workers > 64))) {
            throw new Error(`${flag} takes K or K:W (K shards from 1 to 8, W workers from 1 to 64), comma-separated, got ${v}`);
          }
          return { shards, workers };
        });
      },
    },
    '--timeout': whole('timeoutSeconds', 60, 86400, 'S', 'per run, to all Ready (default 1800)'),
    '--keep': toggle('keep', true, keepHelp),
  },
  footer: benchKubeconfig,
  defaults: () => ({ agents: 1000, runs: [{ shards: 1, workers: undefined }, { shards: 2, workers: undefined }, { shards: 1, workers: 4 }], timeoutSeconds: 1800, keep: false, help: false }),
};

// ---- bench/client-overhead.ts

export const clientModes = ['operator', 'keepalive'] as const;

export interface ClientOverheadOptions {
  kubeconfig: string;
  mode: (typeof clientModes)[number];
  requests: number;
  concurrency: number;
  namespace: string;
  help: boolean;
}

export const clientOverheadCommand: Command<ClientOverheadOptions> = {
  synopsis: 'usage: node bench/client-overhead.ts --kubeconfig PATH [--mode operator|keepalive] [--requests N] [--concurrency C]',
  flags: {
    '--kubeconfig': text('kubeconfig', 'PATH', 'the cluster (default: BENCH_KUBECONFIG; one of the two is needed)'),
    '--mode': choice('mode', clientModes, 'MODE', 'the client to measure (default operator)'),
    '--requests': whole('requests', 1, 1_000_000, 'N', 'server-side applies in all (default 500)'),
    '--concurrency': whole('concurrency', 1, 256, 'C', 'applies in flight, one ConfigMap each (default 2)'),
    '--namespace': text('namespace', 'NS', 'where the ConfigMaps go (default default)'),
  },
  defaults: () => ({ kubeconfig: '', mode: 'operator', requests: 500, concurrency: 2, namespace: 'default', help: false }),
};

// ---- bench/cache-memory.ts (make bench-memory)

export interface MemoryOptions {
  agents: number;
  replicaSetsPerAgent: number;
  podsPerAgent: number;
  concurrency: number;
  /** `before` (the commit --before) or `after` (this tree), each with optional `+NAME=VALUE` environment. */
  runs: string[];
  before: string;
  settleSeconds: number;
  syncTimeoutSeconds: number;
  snapshot: boolean;
  keep: boolean;
  help: boolean;
}

export const memoryCommand: Command<MemoryOptions> = {
  synopsis: 'usage: node bench/cache-memory.ts [options]     (make bench-memory)',
  about: `A local control plane with its controllers stopped; N Agents with their Deployment,
ReplicaSets and pods written as a converged operator and the controllers leave
them; per run, one standby operator (it lists and watches, writes nothing):
RSS, V8 heap, malloc, external memory once synced, after GC, and a heap
snapshot by object kind. Also the V8 heap of each cache, whole and transformed.`,
  flags: {
    '--agents': whole('agents', 1, 20000, 'N', 'Agents (default 2000)'),
    '--replicasets-per-agent': whole('replicaSetsPerAgent', 1, 20, 'R', 'ReplicaSets per Deployment: one current, the rest rollback targets (default 2)'),
    '--pods-per-agent': whole('podsPerAgent', 0, 20, 'P', 'Running pods of the current ReplicaSet (default 1)'),
    '--concurrency': whole('concurrency', 1, 256, 'C', 'Agents written at once (default 32)'),
    '--runs': {
      arg: 'RUN,...', help: 'the operator processes, in this order: before (the commit --before) or after\n(this tree), each with +NAME=VALUE environment (default before,before+MALLOC_ARENA_MAX=2,after);\n+LEASE_NAME=other makes the process lead: it reconciles every Agent, read once its queue is empty',
      apply: (o, v, flag) => {
        o.runs = v.split(',').map((r) => r.trim());
        for (const r of o.runs) if (!/^(before|after)(\+[A-Z_][A-Z0-9_]*=[^+,]*)*$/.test(r)) throw new Error(`${flag}: ${r} is not before or after with +NAME=VALUE parts`);
      },
    },
    '--before': text('before', 'REV', 'the commit of the before run (default main)'),
    '--settle': whole('settleSeconds', 0, 3600, 'S', 'seconds between /readyz and the first reading (default 20)'),
    '--sync-timeout': whole('syncTimeoutSeconds', 10, 7200, 'S', 'seconds allowed until /readyz (default 900)'),
    '--snapshot': toggle('snapshot', true, 'also a heap snapshot of each run, summarised by object kind (slow)'),
    '--keep': toggle('keep', true, keepHelp),
  },
  footer: 'Starts its own cluster (BENCH_KUBECONFIG is not used: the bench stops the controllers).',
  defaults: () => ({ agents: 2000, replicaSetsPerAgent: 2, podsPerAgent: 1, concurrency: 32, runs: ['before', 'before+MALLOC_ARENA_MAX=2', 'after'], before: 'main', settleSeconds: 20, syncTimeoutSeconds: 900, snapshot: false, keep: false, help: false }),
};

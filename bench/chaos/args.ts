// Command line of bench/chaos.ts (make chaos). Pure: argv in, options or an error out.
import { decimal, text, toggle, type Command } from '../lib/args.ts';
import { realNodeMix } from './real-node.ts';
import { defaultMix, faultClasses, type FaultClass } from './schedule.ts';

export const armNames = ['plain', 'defaults', 'fast'] as const;
export type ArmName = (typeof armNames)[number];

export interface ChaosOptions {
  agents: number;
  /** agents per arm on the real node (bench/chaos/real-node.ts); 0: none */
  realNode: number;
  minutes: number;
  seed: number;
  faultsPerMinute: number;
  mix: Record<FaultClass, number>;
  /** real-node class weights (bench/chaos/real-node.ts) */
  realNodeMix: Record<FaultClass, number>;
  arms: ArmName[];
  warmupSeconds: number;
  humanAfterSeconds: number;
  causeSeconds: number;
  /** node-loss: how long the lost kwok node stays down */
  nodeDownSeconds: number;
  /** every K-th agent (0, K, 2K...) has a volume (Agent spec.storage; plain: a PVC); 0: none */
  storageEvery: number;
  settleSeconds: number;
  out: string;
  auditLog: string | undefined;
  plots: boolean;
  keep: boolean;
  help: boolean;
}

const mixHelp = `kwok class weights (default ${Object.entries(defaultMix).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(',')});
unnamed classes keep their default, 0 leaves a class out`;
const realNodeMixHelp = `real-node class weights (default ${Object.entries(realNodeMix).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(',')}),
the same way; e.g. oom=1,memory-growth=0,bad-release=0,bad-config=0
measures the OOM class alone`;
/** The classes the real node plays (real-node.ts); --real-node-mix weighs only these. */
const realNodeClasses = faultClasses.filter((c) => realNodeMix[c] > 0);

export const chaosCommand: Command<ChaosOptions> = {
  synopsis: 'usage: node bench/chaos.ts [options]     (make chaos CHAOS_ARGS="...")',
  about: `A fleet of N agents in every arm, the same seeded schedule of faults applied to
each arm, health measured from watches on its pods and Deployments (every
status change, and restarts seen only by their restartCount); prints a table and writes
CSV files and PNG plots. Starts a local control plane with kwok nodes unless
BENCH_KUBECONFIG names a cluster. docs/chaos.md explains the classes and figures.`,
  flags: {
    '--agents': decimal('agents', 1, 2000, 'N', 'agents per arm on kwok nodes (default 100)'),
    '--real-node': decimal('realNode', 0, 15, 'N', `also N agents per arm on the real node (default 0): the real
test agent, real OOM kills and crashes, the kubelet's own
back-off; figures reported apart, and the OOM kills the
proactive memory raise prevents (memory-growth) counted.
Starts the local control plane with --real-node (root,
one per machine: hold its lock, docs/chaos.md)`),
    '--minutes': decimal('minutes', 0.25, 600, 'M', `the fault phase, minutes (default 10); the run adds
warmup before and human-after + settle after it`),
    '--seed': decimal('seed', 0, 2 ** 31, 'S', 'schedule seed (default 1); same seed, same faults'),
    '--rate': decimal('faultsPerMinute', 0.1, 600, 'R', 'faults per minute, whole fleet (default 3)'),
    '--mix': { arg: 'class=w,...', help: mixHelp, apply: (o, v) => { o.mix = { ...o.mix, ...parseMix('--mix', v, kwokRefusal) }; } },
    '--real-node-mix': {
      arg: 'class=w,...', help: realNodeMixHelp,
      apply: (o, v) => {
        o.realNodeMix = { ...o.realNodeMix, ...parseMix('--real-node-mix', v, (k) => ((realNodeClasses as readonly string[]).includes(k) ? undefined : `${k} is not played on the real node; choose from ${realNodeClasses.join(', ')}`)) };
        if (!faultClasses.some((c) => o.realNodeMix[c] > 0)) throw new Error('--real-node-mix: every weight is 0; give at least one class a weight above 0');
      },
    },
    '--arms': {
      arg: 'a,b', help: `arms to run (default plain,defaults,fast):
  plain     Deployments as users write them, no operator
  defaults  the operator and Agents with its defaults
  fast      the operator with its fastest safe settings`,
      apply: (o, v) => {
        const arms = v.split(',').map((a) => a.trim());
        for (const a of arms) if (!(armNames as readonly string[]).includes(a)) throw new Error(`--arms: unknown arm ${a}; choose from ${armNames.join(', ')}`);
        o.arms = [...new Set(arms)] as ArmName[];
      },
    },
    '--warmup': decimal('warmupSeconds', 0, 3600, 'S', `seconds before the first fault (default 75: the defaults
arm's revisions count healthy, so can be rolled back to,
minReadySeconds 5 + HEALTHY_AFTER_SECONDS 60 after Ready)`),
    '--human-after': decimal('humanAfterSeconds', 1, 86400, 'S', 'a person reverts a bad release this long after it (default 240)'),
    '--cause': decimal('causeSeconds', 1, 3600, 'S', 'a passing cause (transient crash, late Secret or dependency) lasts this long (default 30)'),
    '--node-down': decimal('nodeDownSeconds', 1, 3600, 'S', `node-loss: the lost kwok node comes back this long after it
stopped (default 360: past a plain Deployment's 300 s
toleration plus the 16 s grace, so both arms evict)`),
    '--storage-every': decimal('storageEvery', 0, 2000, 'K', `agents 0, K, 2K... have a volume (Agent spec.storage, plain:
a PVC), counted before and after: 0 lost PVCs is an
invariant (default 10; 0: none)`),
    '--settle': decimal('settleSeconds', 0, 3600, 'S', 'after the last revert, and between two faults of one agent (default 60)'),
    '--out': text('out', 'DIR', 'CSV and PNG files go here (default chaos-out)'),
    '--audit-log': text('auditLog', 'PATH', "the cluster's audit log (default: the bench's own cluster's)"),
    '--no-plots': toggle('plots', false, 'skip the PNGs (they need Go: hack/tools/chaosplot)'),
    '--keep': toggle('keep', true, 'keep the work folder (operator logs)'),
  },
  footer: 'Environment: BENCH_KUBECONFIG=path uses that cluster instead of starting one.',
  defaults: () => ({
    agents: 100, realNode: 0, minutes: 10, seed: 1, faultsPerMinute: 3, mix: { ...defaultMix }, realNodeMix: { ...realNodeMix }, arms: [...armNames],
    warmupSeconds: 75, humanAfterSeconds: 240, causeSeconds: 30, nodeDownSeconds: 360, storageEvery: 10, settleSeconds: 60,
    out: 'chaos-out', auditLog: undefined, plots: true, keep: false, help: false,
  }),
};

/** Why class k cannot be weighed on kwok nodes, or undefined. */
function kwokRefusal(k: string): string | undefined {
  if (!(faultClasses as readonly string[]).includes(k)) return `unknown class ${k}; choose from ${faultClasses.filter((c) => defaultMix[c] > 0).join(', ')}`;
  return defaultMix[k as FaultClass] === 0 ? `${k} is played on the real node only (kwok nodes have no cAdvisor metrics): weigh it there with --real-node N --real-node-mix ${k}=W` : undefined;
}

/** class=w,...: the weights named; refuse(k) says why class k cannot be weighed by this flag, or undefined. */
function parseMix(flag: string, value: string, refuse: (k: string) => string | undefined): Partial<Record<FaultClass, number>> {
  const mix: Partial<Record<FaultClass, number>> = {};
  for (const part of value.split(',')) {
    const [k = '', w] = part.split('=');
    const why = refuse(k);
    if (why) throw new Error(`${flag}: ${why}`);
    const n = Number(w);
    if (!(n >= 0) || w === undefined || w === '') throw new Error(`${flag}: ${k} needs a weight of 0 or more, like ${k}=10`);
    mix[k as FaultClass] = n;
  }
  return mix;
}

// What a run's options make of the schedule, and whether that run can measure
// what it is for, decided before the cluster and the fleet are created. A
// mix or option that cannot run used to fail (or quietly measure nothing)
// after minutes of setup; each problem here names the option and the fix.
// Pure: options and the environment in, the schedules or the problems out
// (table tests: test/unit/bench/chaos-plan.test.ts). bench/chaos.ts checks
// first; run.ts plays the same schedules.
import type { ChaosOptions } from './args.ts';
import { realNodeMix, realNodeSchedule } from './real-node.ts';
import { faultClasses, operatorClasses, schedule, type Fault, type FaultClass } from './schedule.ts';

/** The operator's default HEALTHY_AFTER_SECONDS (src/status/compute.ts defaultHealthyAfterSeconds). */
export const defaultsHealthyAfterSeconds = 60;
/** The fast arm's HEALTHY_AFTER_SECONDS (run.ts fastEnv). */
export const fastHealthyAfterSeconds = 15;
/** The Agents' Deployments count a pod available only after this (src/api/reference-doc.ts). */
export const minReadySeconds = 5;
/** The operator's leader lease (src/runtime/leader-election.ts): a SIGKILLed leader's successor waits it out. */
export const leaseSeconds = 15;
/** hack/cluster --node-lifecycle: a node is marked lost this long after its last heartbeat. */
export const nodeMonitorGraceSeconds = 16;
/** PersistentVolumes in hack/cluster-addons/storage.yaml (the bench's own cluster). */
export const pvPool = 60;

/** The classes the operator remedies by a rollback (the operator classes break an agent with a bad release). */
export const rolledBackClasses: ReadonlySet<FaultClass> = new Set(['bad-release', 'bad-config', 'strict-probe', 'operator-kill', 'leader-failover']);

export interface Schedules { kwok: Fault[]; real: Fault[] }

/** The run's faults: the kwok schedule and, with --real-node, the real node's (run.ts plays exactly these). */
export function schedules(o: ChaosOptions): Schedules {
  const shape = { warmupSeconds: o.warmupSeconds, faultSeconds: o.minutes * 60, humanAfterSeconds: o.humanAfterSeconds, causeSeconds: o.causeSeconds, nodeDownSeconds: o.nodeDownSeconds, settleSeconds: o.settleSeconds };
  const kwok = schedule({ ...shape, seed: o.seed, agents: o.agents, faults: faultCount(o), mix: o.mix });
  const real = o.realNode > 0 ? realNodeSchedule({ ...shape, seed: o.seed, mix: o.realNodeMix, agents: o.realNode, firstAgent: o.agents, firstId: kwok.length }) : [];
  return { kwok, real };
}

/** Faults on the kwok nodes: --rate × --minutes, at least one. */
export const faultCount = (o: ChaosOptions) => Math.max(1, Math.round(o.faultsPerMinute * o.minutes));

export interface Environment {
  /** BENCH_KUBECONFIG names a cluster: not the bench's own (no node lifecycle, no PV pool of known size) */
  externalCluster: boolean;
  /** the bench runs as root (the real node needs it) */
  root: boolean;
}

const weighted = (mix: Readonly<Record<FaultClass, number>>) => faultClasses.filter((c) => (mix[c] ?? 0) > 0);
const list = (xs: readonly string[]) => xs.join(', ');

/** Every reason these options cannot run or would measure nothing, each naming the option and the fix; [] when the run can go. */
export function planProblems(o: ChaosOptions, env: Environment): string[] {
  const out: string[] = [];
  const operatorArms = o.arms.filter((a) => a !== 'plain');
  const kwokClasses = weighted(o.mix);
  const changedRealMix = faultClasses.some((c) => o.realNodeMix[c] !== realNodeMix[c]);
  if (o.realNode === 0 && changedRealMix) {
    out.push('--real-node-mix weighs the real node\'s classes, but --real-node is 0: add --real-node N (root, under the real node\'s lock), or drop --real-node-mix');
  }
  if (o.realNode > 0 && !env.root) out.push(`--real-node ${o.realNode}: the real node needs root (containerd, the kubelet, cgroups); run as root, or use --real-node 0`);
  if (kwokClasses.length === 0) out.push('--mix: every kwok weight is 0; give at least one class a weight above 0, like --mix oom=1');

  const faults = faultCount(o);
  if (kwokClasses.length > faults) {
    const need = Math.ceil(kwokClasses.length / o.faultsPerMinute * 4) / 4;
    out.push(`--minutes ${o.minutes} at --rate ${o.faultsPerMinute} draws ${faults} fault(s) for the ${kwokClasses.length} classes of --mix (${list(kwokClasses)}), so some class is never played: raise --minutes to ${need} or more, raise --rate, or leave classes out with --mix class=0`);
  }

  // the warm-up: a bad release can be rolled back only to a revision the operator has recorded as healthy;
  // the other classes' remedies (a memory raise, a restart, a failover) need no such revision
  const rollbacks = [...new Set([...kwokClasses, ...(o.realNode > 0 ? weighted(o.realNodeMix) : [])])].filter((c) => rolledBackClasses.has(c));
  const healthyAfter = (arm: string) => minReadySeconds + (arm === 'fast' ? fastHealthyAfterSeconds : defaultsHealthyAfterSeconds);
  for (const arm of rollbacks.length > 0 ? operatorArms : []) {
    if (o.warmupSeconds < healthyAfter(arm)) {
      out.push(`--warmup ${o.warmupSeconds}: the ${arm} arm records a revision as healthy (its rollback target) ${healthyAfter(arm)} s after it is ready (minReadySeconds ${minReadySeconds} + HEALTHY_AFTER_SECONDS ${healthyAfter(arm) - minReadySeconds}), so the first faults of ${list(rollbacks)} would find nothing to roll back to; use --warmup ${healthyAfter(arm) + 10} or more, or leave the arm out with --arms`);
    }
  }
  const opClasses = kwokClasses.filter((c) => operatorClasses.has(c));
  if (opClasses.length > 0 && operatorArms.length > 0 && o.humanAfterSeconds <= leaseSeconds) {
    out.push(`--human-after ${o.humanAfterSeconds}: ${list(opClasses)} break an agent while the operator is away, and a SIGKILLed leader's successor waits out the ${leaseSeconds} s lease, so the person would revert before any operator leads; use --human-after ${4 * leaseSeconds} or more, or --mix ${opClasses.map((c) => `${c}=0`).join(',')}`);
  }

  if ((o.mix['node-loss'] ?? 0) > 0) {
    if (env.externalCluster) out.push('--mix node-loss stops kwok nodes, which needs the bench\'s own cluster (hack/cluster up --node-lifecycle): unset BENCH_KUBECONFIG, or leave the class out with --mix node-loss=0');
    if (o.nodeDownSeconds <= nodeMonitorGraceSeconds) {
      out.push(`--node-down ${o.nodeDownSeconds}: a node is marked lost ${nodeMonitorGraceSeconds} s after its last heartbeat, so it would come back before anything saw it lost; use --node-down 360 (past a plain Deployment's 300 s toleration), or --mix node-loss=0`);
    }
  }

  const claims = o.storageEvery > 0 ? Math.ceil(o.agents / o.storageEvery) * o.arms.length : 0;
  if (!env.externalCluster && claims > pvPool) {
    out.push(`--storage-every ${o.storageEvery}: ${claims} PVCs (${Math.ceil(o.agents / o.storageEvery)} per arm × ${o.arms.length} arms), the local control plane has ${pvPool} PersistentVolumes (hack/cluster-addons/storage.yaml); raise --storage-every to ${Math.ceil(o.agents / Math.floor(pvPool / o.arms.length))} or more, or 0 for none`);
  }

  // the schedules themselves: drawn now, so an agent shortage or a class the draw left out shows before any setup
  if (kwokClasses.length > 0) {
    try {
      const s = schedules(o);
      const missed = kwokClasses.filter((c) => !s.kwok.some((f) => f.class === c));
      if (missed.length > 0 && kwokClasses.length <= faults) out.push(`--mix: the schedule drew no fault of ${list(missed)}; raise --minutes or --rate, or leave them out with --mix ${missed.map((c) => `${c}=0`).join(',')}`);
      const realMissed = weighted(o.realNodeMix).filter((c) => o.realNode > 0 && !s.real.some((f) => f.class === c));
      if (realMissed.length > 0) out.push(`--real-node-mix: the real node's schedule drew no fault of ${list(realMissed)}; raise --real-node or --minutes, or leave them out with --real-node-mix ${realMissed.map((c) => `${c}=0`).join(',')}`);
    } catch (e) {
      out.push((e as Error).message);
    }
  }
  return out;
}

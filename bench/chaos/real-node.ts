// The agents of the fleet that run on the real node (hack/real-node: kubelet,
// containerd, runc), with --real-node N. They run the real test agent
// (hack/tools/images/agent), and their faults are real: the kernel OOM-kills,
// the process exits at start, the kubelet's own doubling back-off paces the
// restarts. Their figures are reported apart from the kwok ones.
//
// memory-growth is here only: a working set growing toward the limit is seen
// in a kubelet's cAdvisor metrics, which kwok nodes do not have. It is what
// recovery.oomKilled.proactive acts on, so the OOM kills it prevents are
// counted here, each arm under the same schedule (docs/chaos.md).
import { faultClasses, schedule, type Fault, type FaultClass, type ScheduleOptions } from './schedule.ts';
import type { Release } from './fleet.ts';

/**
 * The real-node mix: the classes a real kernel and kubelet produce by
 * themselves. memory-growth weighs double because it is the one class only
 * the real node can show. The classes played by the bench (secret-missing,
 * late-dependency, transient-crash, the strict probe's failures) and the
 * operator classes stay on kwok, where they already are.
 */
export const realNodeMix: Readonly<Record<FaultClass, number>> = {
  ...(Object.fromEntries(faultClasses.map((c) => [c, 0])) as Record<FaultClass, number>),
  'oom': 1, 'memory-growth': 2, 'bad-release': 1, 'bad-config': 1,
};

/** Base memory limit of every agent (fleet.ts) and what memory-growth grows to past it. */
const limitMi = 128;

/**
 * The release a real-node fault's person applies: the test agent's own
 * settings (docs/local-control-plane.md), so the failure is the process's.
 */
export function realRelease(cls: FaultClass, id: number): Release {
  const tag = { name: 'RELEASE', value: `f${id}` };
  switch (cls) {
    // needs ~85 MiB (80 allocated + the runtime) under 48Mi: killed at start; the raise to 96Mi (the cap, twice 48) cures it
    case 'oom': return { memoryLimitMi: 48, env: [tag, { name: 'AGENT_ALLOC_MIB', value: '80' }] };
    // 100 MiB at start, then 0.2 MiB/s to 140 MiB, past the 128Mi limit: 90 % of it ~40 s
    // after the start, the kill ~115 s after it. cAdvisor collects every 10-15 s and the
    // warning needs two collections at 90 %, so a proactive raise has a minute to land.
    case 'memory-growth': return { env: [tag, { name: 'AGENT_ALLOC_MIB', value: '100' }, { name: 'AGENT_GROW_MIB_PER_SEC', value: '0.2' }, { name: 'AGENT_GROW_TO_MIB', value: String(limitMi + 12) }] };
    case 'bad-release': return { env: [tag, { name: 'AGENT_EXIT_CODE', value: '1' }, { name: 'AGENT_EXIT_AFTER', value: '2s' }] };
    // a value the agent refuses: it exits 2 at start naming the variable, the way a bad config fails
    case 'bad-config': return { env: [tag, { name: 'AGENT_READY', value: `broken-${id}` }] };
    default: throw new Error(`${cls} is not played on the real node (its mix: ${Object.entries(realNodeMix).filter(([, w]) => w > 0).map(([c]) => c).join(', ')})`);
  }
}

export interface RealNodeScheduleOptions extends Omit<ScheduleOptions, 'agents' | 'faults' | 'mix' | 'seed'> {
  seed: number;
  /** the class weights (default realNodeMix; --real-node-mix) */
  mix?: Readonly<Record<FaultClass, number>>;
  /** agents on the real node, per arm */
  agents: number;
  /** their indices start here (after the kwok agents) */
  firstAgent: number;
  /** their fault ids start here (after the kwok faults) */
  firstId: number;
}

/**
 * The real-node faults: as many as the real agents can carry in the fault
 * phase (one fault per agent at a time, settled in between), at least one per
 * class of the mix; from the seed, like the kwok schedule, with a seed of its
 * own so that adding real agents leaves the kwok schedule as it was.
 */
export function realNodeSchedule(o: RealNodeScheduleOptions): Fault[] {
  const mix = o.mix ?? realNodeMix;
  const classes = faultClasses.filter((c) => mix[c] > 0).length;
  const perAgent = Math.max(1, Math.floor(o.faultSeconds / (o.humanAfterSeconds + o.settleSeconds)) + 1);
  const seed = (o.seed ^ 0x5eed) >>> 0;
  for (let n = Math.max(classes, o.agents * perAgent); n >= 1; n--) {
    let faults: Fault[];
    try {
      faults = schedule({ ...o, seed, agents: o.agents, faults: n, mix });
    } catch {
      continue;
    }
    if (n < classes) throw new Error(`--real-node ${o.agents}: too few real-node agents for one fault of each of its ${classes} classes in the fault phase; raise --real-node or --minutes`);
    return faults.map((f) => ({ ...f, id: f.id + o.firstId, agent: f.agent + o.firstAgent }));
  }
  throw new Error(`--real-node ${o.agents}: no real-node fault fits in the fault phase; raise --minutes`);
}

/** An OOM kill the kubelet reported: the agent, and when (seconds on the run's clock, as the health samples). */
export interface OomKill { agent: number; t: number }

/**
 * OOM kills per fault class: a kill belongs to the agent's latest fault begun
 * before it (the release it ran), or to no fault (the key 'none') before the
 * agent's first one.
 */
export function oomKillsByClass(kills: readonly OomKill[], faults: readonly Fault[]): Map<FaultClass | 'none', number> {
  const out = new Map<FaultClass | 'none', number>();
  for (const k of kills) {
    const f = faults.filter((x) => x.agent === k.agent && x.at <= k.t).reduce<Fault | undefined>((a, x) => (a && a.at > x.at ? a : x), undefined);
    const cls = f?.class ?? 'none';
    out.set(cls, (out.get(cls) ?? 0) + 1);
  }
  return out;
}

// The chaos schedule: a seed and the run's shape in, the list of faults out.
// Pure and deterministic (its own PRNG, no clock), so one seed is one schedule
// on every machine and every arm of a run gets exactly the same faults.
// docs/chaos.md explains the classes and why the default mix is what it is.

export const faultClasses = [
  'oom', 'bad-release', 'bad-config', 'strict-probe', 'secret-missing',
  'late-dependency', 'transient-crash', 'operator-kill', 'leader-failover', 'memory-growth', 'node-loss',
] as const;
export type FaultClass = (typeof faultClasses)[number];

/**
 * Release faults are a spec change a person made; they end when that person
 * reverts it (humanAfterSeconds after onset). The others end by themselves
 * (causeSeconds after onset): the Secret is created, the dependency comes up,
 * the crash cause passes; a lost node comes back nodeDownSeconds after onset. The operator faults also break one agent with a bad
 * release at the same moment, so what the operator's outage costs shows up.
 */
export const releaseClasses: ReadonlySet<FaultClass> = new Set(['oom', 'bad-release', 'bad-config', 'strict-probe', 'operator-kill', 'leader-failover', 'memory-growth']);
export const operatorClasses: ReadonlySet<FaultClass> = new Set(['operator-kill', 'leader-failover']);

/**
 * Relative weights on the kwok nodes; the reasoning is in docs/chaos.md.
 * memory-growth is 0: a working set that grows toward the limit is seen only
 * in a kubelet's cAdvisor metrics, which kwok nodes do not have, so it is
 * played on the real node only (bench/chaos/real-node.ts).
 */
export const defaultMix: Readonly<Record<FaultClass, number>> = {
  'oom': 15, 'bad-release': 20, 'bad-config': 15, 'strict-probe': 10, 'secret-missing': 5,
  'late-dependency': 5, 'transient-crash': 20, 'operator-kill': 5, 'leader-failover': 5, 'memory-growth': 0, 'node-loss': 5,
};

export interface ScheduleOptions {
  seed: number;
  agents: number;
  /** faults start in [warmupSeconds, warmupSeconds + faultSeconds) */
  warmupSeconds: number;
  faultSeconds: number;
  faults: number;
  mix: Readonly<Record<FaultClass, number>>;
  humanAfterSeconds: number;
  causeSeconds: number;
  /** a lost node comes back this long after it stopped */
  nodeDownSeconds: number;
  /** an agent gets a new fault only this long after its previous one ended */
  settleSeconds: number;
}

export interface Fault {
  id: number;
  class: FaultClass;
  /** seconds after the fleet is up */
  at: number;
  /** index of the agent it breaks */
  agent: number;
  /** when the cause ends: the person's revert for release faults, the cause passing for the rest */
  endsAt: number;
}

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every class with a positive weight appears at least once when there are
 * enough faults (a short run still observes each class); the rest are drawn by
 * weight. Onsets are spread evenly with jitter (one per slot), so faults do
 * not bunch by chance. An agent is broken by one fault at a time.
 */
export function schedule(o: ScheduleOptions): Fault[] {
  const weighted = faultClasses.filter((c) => (o.mix[c] ?? 0) > 0);
  if (weighted.length === 0) throw new Error('mix: give at least one fault class a positive weight');
  const rand = prng(o.seed);
  const total = weighted.reduce((n, c) => n + o.mix[c], 0);
  const draw = (): FaultClass => {
    let r = rand() * total;
    for (const c of weighted) if ((r -= o.mix[c]) < 0) return c;
    return weighted.at(-1)!;
  };
  const classes: FaultClass[] = [];
  for (let i = 0; i < o.faults; i++) classes.push(i < weighted.length ? weighted[i]! : draw());
  shuffle(classes, rand);
  const slot = o.faultSeconds / Math.max(1, o.faults);
  const free = new Map<number, number>(); // agent -> free again at
  const agents = Array.from({ length: o.agents }, (_, i) => i);
  shuffle(agents, rand);
  const out: Fault[] = [];
  classes.forEach((cls, i) => {
    const at = round(o.warmupSeconds + i * slot + rand() * slot * 0.8);
    const endsAt = at + (releaseClasses.has(cls) ? o.humanAfterSeconds : cls === 'node-loss' ? o.nodeDownSeconds : o.causeSeconds);
    const agent = agents.find((a) => (free.get(a) ?? 0) <= at);
    if (agent === undefined) throw new Error(`no agent free for fault ${i} at ${at} s: raise --agents or lower the fault rate`);
    free.set(agent, endsAt + o.settleSeconds);
    agents.push(agents.splice(agents.indexOf(agent), 1)[0]!); // least recently used first
    out.push({ id: i, class: cls, at, agent, endsAt });
  });
  return out;
}

function shuffle<T>(xs: T[], rand: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

const round = (s: number) => Math.round(s);

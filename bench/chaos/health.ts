// Health as the benchmark sees it, the same for every arm and never from the
// operator's status: a watch on the pods and Deployments of each arm's
// namespace, every event on the run's clock. An agent is abnormal while it has
// fewer Ready pods than its Deployment's replicas, or any pod that is not
// terminating and not Ready (crash-looping, OOM-killed, unready, pending, on
// a node the bench stopped): "not fully available", and a crash-looping surge
// pod beside a serving old one counts, because the agent is failing to run
// what was asked. A container that died and was restarted between two events
// (its restartCount went up: the kubelet wrote the death and the restart in
// one status update, or kwok restarts a first death at once) was abnormal
// from its death (lastState.terminated.finishedAt, no earlier than the event
// before) until the event that shows it again: a sample once a second, as
// the bench took before, read such a restart as 0 s.
//
// HealthLedger is pure (events in, stretches out; test/unit/bench/chaos-health.test.ts);
// watchHealth feeds it from the apiserver.
import type { Kube, KubeObject, WatchType, Watcher } from '../lib/kube.ts';
import { agentIndex, type Arm } from './fleet.ts';
import type { Stretch } from './figures.ts';
import type { OomKill } from './real-node.ts';

export interface HealthSample { t: number; abnormal: Set<number> }

interface Terminated { reason?: string; finishedAt?: string | Date; containerID?: string }
interface ContainerStatus { name: string; restartCount?: number; state?: { terminated?: Terminated }; lastState?: { terminated?: Terminated } }
/** The fields of a pod the ledger reads (a watch's JSON, or client-node's V1Pod). */
export interface PodLike {
  metadata?: { name?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: unknown };
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[]; containerStatuses?: ContainerStatus[] };
}
export interface WorkloadLike { metadata?: { name?: string }; spec?: { replicas?: number } }

const isReady = (p: PodLike) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Agents with no Ready pod, or a pod that is not terminating and not Ready (one replica each): for waiting until the fleet is up. */
export function abnormalAgents(pods: readonly PodLike[], podLabel: string, agents: number): Set<number> {
  const ready = new Set<number>();
  const abnormal = new Set<number>();
  for (const p of pods) {
    const i = agentIndex(p.metadata?.labels?.[podLabel] ?? '');
    if (i === undefined || i >= agents || p.metadata?.deletionTimestamp) continue;
    if (isReady(p)) ready.add(i);
    else abnormal.add(i);
  }
  for (let i = 0; i < agents; i++) if (!ready.has(i)) abnormal.add(i);
  return abnormal;
}

/**
 * The OOM kills a pod shows, each known by the dead container's ID (one per
 * container instance on a kubelet), else by pod, container and finish time:
 * the current state when it has just died, the last state once it has
 * restarted. Every watch event is read, so none is missed.
 */
export function oomTerminations(p: PodLike): string[] {
  const out: string[] = [];
  for (const cs of p.status?.containerStatuses ?? []) {
    for (const t of [cs.state?.terminated, cs.lastState?.terminated]) {
      if (t?.reason !== 'OOMKilled') continue;
      out.push(t.containerID || `${p.metadata?.uid}/${cs.name}/${String(t.finishedAt)}`);
    }
  }
  return out;
}

interface Seen { t: number; agent: number; pod: PodLike }

/**
 * Watch events in, abnormal stretches per agent out. Times are seconds on the
 * run's clock; `wallOrigin` is the wall clock (ms) at t = 0, to place a
 * container's finishedAt (whole seconds on the node's clock, the same
 * machine's) on it.
 */
export class HealthLedger {
  readonly #agents: number;
  readonly #podLabel: string;
  readonly #wallOrigin: number;
  readonly #pods = new Map<string, Seen>();
  readonly #replicas = new Map<number, number>();
  readonly #downNodes = new Set<string>();
  /** per agent: the stretches closed so far, and the one open (abnormal now) */
  readonly #stretches = new Map<number, Stretch[]>();
  readonly #open = new Map<number, Stretch>();
  readonly oomKills = new Map<string, OomKill>();
  /** restarts the events showed only as a higher restartCount (dead and running again between two events) */
  hiddenRestarts = 0;

  constructor(agents: number, podLabel: string, wallOrigin: number) {
    this.#agents = agents;
    this.#podLabel = podLabel;
    this.#wallOrigin = wallOrigin;
  }

  pod(t: number, type: WatchType, p: PodLike): void {
    const agent = agentIndex(p.metadata?.labels?.[this.#podLabel] ?? '');
    const uid = p.metadata?.uid ?? p.metadata?.name ?? '';
    if (agent === undefined || agent >= this.#agents) return;
    for (const key of oomTerminations(p)) if (!this.oomKills.has(key)) this.oomKills.set(key, { agent, t });
    const before = this.#pods.get(uid);
    const diedAt = before && this.#diedBetween(before, p, t);
    if (type === 'DELETED') this.#pods.delete(uid);
    else this.#pods.set(uid, { t, agent, pod: p });
    if (diedAt !== undefined && !this.#open.has(agent)) {
      this.hiddenRestarts++;
      this.#begin(agent, diedAt);
    }
    this.#judge(agent, t);
  }

  workload(t: number, type: WatchType, w: WorkloadLike): void {
    const agent = agentIndex(w.metadata?.name ?? '');
    if (agent === undefined || agent >= this.#agents) return;
    if (type === 'DELETED') this.#replicas.delete(agent);
    else this.#replicas.set(agent, w.spec?.replicas ?? 1);
    this.#judge(agent, t);
  }

  /** The bench stopped (down) or started a node: its pods serve nothing while it is down, whatever their status says. */
  node(t: number, name: string, down: boolean): void {
    if (down) this.#downNodes.add(name);
    else this.#downNodes.delete(name);
    const agents = new Set([...this.#pods.values()].filter((s) => s.pod.spec?.nodeName === name).map((s) => s.agent));
    for (const a of agents) this.#judge(a, t);
  }

  /** Agents abnormal now. */
  abnormal(): Set<number> { return new Set(this.#open.keys()); }

  /** Every agent's stretches up to now; the open ones have `to` undefined. */
  stretches(): Map<number, Stretch[]> {
    return new Map([...this.#stretches].map(([a, list]) => [a, list.map((s) => ({ ...s }))]));
  }

  /** The earliest death of a container whose restartCount rose since `before`, or undefined. */
  #diedBetween(before: Seen, p: PodLike, t: number): number | undefined {
    let at: number | undefined;
    for (const cs of p.status?.containerStatuses ?? []) {
      const was = before.pod.status?.containerStatuses?.find((c) => c.name === cs.name)?.restartCount ?? 0;
      if ((cs.restartCount ?? 0) <= was) continue;
      const finished = cs.lastState?.terminated?.finishedAt;
      const wall = finished === undefined ? NaN : new Date(finished).getTime();
      const d = Number.isNaN(wall) ? before.t : Math.min(t, Math.max(before.t, (wall - this.#wallOrigin) / 1000));
      at = Math.min(at ?? d, d);
    }
    return at;
  }

  #healthy(agent: number): boolean {
    let ready = 0;
    for (const s of this.#pods.values()) {
      if (s.agent !== agent || s.pod.metadata?.deletionTimestamp) continue;
      const serving = isReady(s.pod) && !this.#downNodes.has(s.pod.spec?.nodeName ?? '');
      if (!serving) return false;
      ready++;
    }
    return ready >= (this.#replicas.get(agent) ?? 1);
  }

  #judge(agent: number, t: number): void {
    const healthy = this.#healthy(agent);
    const open = this.#open.get(agent);
    if (healthy && open) {
      open.to = Math.max(open.from, t);
      this.#open.delete(agent);
    } else if (!healthy && !open) this.#begin(agent, t);
  }

  #begin(agent: number, from: number): void {
    const s: Stretch = { from, to: undefined };
    this.#open.set(agent, s);
    this.#stretches.set(agent, [...(this.#stretches.get(agent) ?? []), s]);
  }
}

/** The abnormal agents in each whole second [t, t + 1) of [0, end): the timeline of the plots. */
export function timeline(stretches: ReadonlyMap<number, readonly Stretch[]>, end: number): HealthSample[] {
  const out: HealthSample[] = Array.from({ length: Math.max(0, Math.ceil(end)) }, (_, t) => ({ t, abnormal: new Set<number>() }));
  for (const [a, list] of stretches) {
    for (const s of list) {
      const to = Math.min(s.to ?? end, end);
      for (let t = Math.max(0, Math.floor(s.from)); t < to && t < out.length; t++) out[t]!.abnormal.add(a);
    }
  }
  return out;
}

export interface HealthWatch {
  ledgers: Map<string, HealthLedger>;
  stop(): void;
}

/**
 * One pod watch and one Deployment watch per arm, from now (each watch's
 * first answer lists what exists as ADDED). Resolves once every watch has
 * answered; `clock` maps performance.now() ms to the run's seconds.
 */
export async function watchHealth(kube: Kube, arms: readonly Arm[], agents: number, clock: (ms: number) => number, wallOrigin: number): Promise<HealthWatch> {
  const ledgers = new Map(arms.map((a) => [a.name, new HealthLedger(agents, a.podLabel, wallOrigin)]));
  const watchers: Watcher[] = [];
  for (const arm of arms) {
    const ledger = ledgers.get(arm.name)!;
    watchers.push(
      kube.watch(`/api/v1/namespaces/${arm.namespace}/pods`, {}, (type, obj, at) => ledger.pod(clock(at), type, obj as PodLike)),
      kube.watch(`/apis/apps/v1/namespaces/${arm.namespace}/deployments`, {}, (type, obj: KubeObject, at) => ledger.workload(clock(at), type, obj as WorkloadLike)),
    );
  }
  await Promise.all(watchers.map((w) => w.ready));
  return { ledgers, stop: () => { for (const w of watchers) w.stop(); } };
}

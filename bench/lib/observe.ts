// What the bench sees of the cluster, by watches (never by polling, so no
// intermediate state is missed and every time is when the watch event
// arrived): the bench's Agents, their pods, and Events on Agents.
import type { Kube, KubeObject, WatchType, Watcher } from './kube.ts';

const agentsPath = (ns: string) => `/apis/agent-operator.dev/v1alpha1/namespaces/${ns}/agents`;

export interface Condition { type: string; status: string; reason?: string; message?: string }
export interface AgentObject extends KubeObject {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  status?: {
    observedGeneration?: number; conditions?: Condition[]; revision?: string; lastHealthyRevision?: string;
    lastFailure?: { reason: string; pod?: string; time?: string; count?: number };
  };
}
export interface ContainerStatus {
  name: string; image?: string; imageID?: string; containerID?: string; ready?: boolean; started?: boolean; restartCount?: number;
  state?: { running?: { startedAt?: string }; waiting?: unknown; terminated?: unknown };
  lastState?: unknown;
}
export interface PodObject extends KubeObject {
  metadata: { name: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string; resourceVersion?: string };
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: ContainerStatus[] };
}
export interface EventObject extends KubeObject {
  type?: string; reason?: string; message?: string; count?: number;
  involvedObject?: { kind?: string; name?: string; uid?: string };
}

export const agentReady = (a: AgentObject): boolean =>
  a.status?.observedGeneration === a.metadata.generation && a.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
/**
 * Ready, and its revision recorded as the last healthy one: the operator's own
 * "settled" (src/reconcile/plan.ts). Until then it reconciles the Agent every
 * 15 s and writes status once more when the revision has been healthy for 60 s.
 */
export const agentSettled = (a: AgentObject): boolean =>
  agentReady(a) && a.status?.revision !== undefined && a.status.lastHealthyRevision === a.status.revision;
export const podReady = (p: PodObject): boolean =>
  p.status?.phase === 'Running' && p.metadata.deletionTimestamp === undefined && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

type Listener<T> = (type: WatchType, obj: T, at: number) => void;

export class Observer {
  readonly agents = new Map<string, AgentObject>();
  readonly pods = new Map<string, PodObject>();
  /** First time each Agent was seen Ready (ms, performance.now()). */
  readonly agentReadyAt = new Map<string, number>();
  /** First time each Agent was seen settled (agentSettled). */
  readonly agentSettledAt = new Map<string, number>();
  /** First time each pod was seen Running and Ready. */
  readonly podReadyAt = new Map<string, number>();
  readonly #agentListeners: Listener<AgentObject>[] = [];
  readonly #eventListeners: Listener<EventObject>[] = [];
  readonly #watchers: Watcher[] = [];
  /** Watch events received, per resource: the bench's own load. */
  readonly received = { agents: 0, pods: 0, events: 0 };
  /** Event writes seen on Agents by `type reason` (a new Event, or a repeat bumping its count). */
  readonly eventWrites = new Map<string, number>();

  onAgent(l: Listener<AgentObject>): () => void { return add(this.#agentListeners, l); }
  onEvent(l: Listener<EventObject>): () => void { return add(this.#eventListeners, l); }

  async start(kube: Kube, ns: string): Promise<void> {
    const from = async (path: string, query: Record<string, string>) =>
      (await kube.request<{ metadata: { resourceVersion: string } }>('GET', path, { query: { ...query, limit: 1 } })).metadata.resourceVersion;
    // Empty namespace at the start: watching from the list's version sees everything from now on.
    const podSel = { labelSelector: 'app.kubernetes.io/managed-by=agent-operator' };
    const eventSel = { fieldSelector: 'involvedObject.kind=Agent' };
    const [agentRv, podRv, eventRv] = await Promise.all([
      from(agentsPath(ns), {}), from(`/api/v1/namespaces/${ns}/pods`, podSel), from(`/api/v1/namespaces/${ns}/events`, eventSel),
    ]);
    this.#watchers.push(
      kube.watch(agentsPath(ns), {}, (type, obj, at) => this.#agent(type, obj as AgentObject, at), agentRv),
      kube.watch(`/api/v1/namespaces/${ns}/pods`, podSel, (type, obj, at) => this.#pod(type, obj as PodObject, at), podRv),
      kube.watch(`/api/v1/namespaces/${ns}/events`, eventSel, (type, obj, at) => {
        this.received.events++;
        const e = obj as EventObject;
        const k = `${e.type ?? ''} ${e.reason ?? ''}`;
        if (type !== 'DELETED') this.eventWrites.set(k, (this.eventWrites.get(k) ?? 0) + 1);
        for (const l of this.#eventListeners) l(type, obj as EventObject, at);
      }, eventRv),
    );
    await Promise.all(this.#watchers.map((w) => w.ready));
  }

  #agent(type: WatchType, a: AgentObject, at: number): void {
    this.received.agents++;
    const name = a.metadata.name;
    if (type === 'DELETED') this.agents.delete(name);
    else {
      this.agents.set(name, a);
      if (!this.agentReadyAt.has(name) && agentReady(a)) this.agentReadyAt.set(name, at);
      if (!this.agentSettledAt.has(name) && agentSettled(a)) this.agentSettledAt.set(name, at);
    }
    for (const l of this.#agentListeners) l(type, a, at);
  }

  #pod(type: WatchType, p: PodObject, at: number): void {
    this.received.pods++;
    const name = p.metadata.name;
    if (type === 'DELETED') this.pods.delete(name);
    else {
      this.pods.set(name, p);
      if (!this.podReadyAt.has(name) && podReady(p)) this.podReadyAt.set(name, at);
    }
  }

  /** How many of `names` are settled now. */
  settledNow(names: Iterable<string>): number {
    let n = 0;
    for (const name of names) {
      const a = this.agents.get(name);
      if (a && agentSettled(a)) n++;
    }
    return n;
  }

  stop(): void {
    for (const w of this.#watchers.splice(0)) w.stop();
  }
}

function add<T>(list: T[], item: T): () => void {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}

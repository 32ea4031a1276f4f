import type { V1Pod } from '@kubernetes/client-node';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ContainerUsage, UsageSample } from './assess.ts';
import { containerIdOfCgroup, parseCadvisor, type ContainerRef } from './cadvisor.ts';

// Reads the kubelet's cAdvisor metrics of every node that runs one of the
// operator's pods, every interval, and keeps the last few readings of each
// of their containers in memory: what the plan's usage verdicts are made
// from (assess.ts). Only on the leader (the standby's readings would go
// unused), one request per node however many Agents run there, and only
// readings of the operator's own pods are kept.
//
// Why the kubelet's /metrics/cadvisor through the apiserver's node proxy:
// it is on every node (no metrics-server, no Prometheus to find), it is the
// one source with both the working set and the CFS throttling counters, and
// the operator reaches it with its own credentials (RBAC nodes/proxy get,
// opt-in in the chart because it reads every container's metrics on a node).

export interface ScraperOptions {
  /** The kubelet's /metrics/cadvisor text of one node. */
  fetchNode: (node: string) => Promise<string>;
  /** The operator's pods, from the cache. */
  pods: () => readonly V1Pod[];
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  intervalMs: number;
  /** Scrape only while this says so (the leader). */
  active: () => boolean;
  /** After each round, with the pods read (the caller wakes their Agents as needed). */
  onRound?: (pods: readonly V1Pod[]) => void;
  log: Logger;
  /** Readings kept per container. */
  keep?: number;
  /** Nodes read at once. */
  concurrency?: number;
}

export class UsageScraper {
  readonly #o: ScraperOptions;
  readonly #samples = new Map<string, UsageSample[]>();
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(o: ScraperOptions) {
    this.#o = o;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
  }

  /** The readings of these pods' containers, with the limits their specs set. */
  usageOf(pods: readonly V1Pod[]): ContainerUsage[] {
    const out: ContainerUsage[] = [];
    for (const pod of pods) {
      for (const c of pod.spec?.containers ?? []) {
        const samples = this.#samples.get(key(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', c.name));
        if (!samples?.length) continue;
        const u: ContainerUsage = { pod: pod.metadata?.name ?? '', container: c.name, samples: [...samples] };
        const memory = c.resources?.limits?.['memory'];
        const cpu = c.resources?.limits?.['cpu'];
        if (memory !== undefined) u.memoryLimit = String(memory);
        if (cpu !== undefined) u.cpuLimit = String(cpu);
        out.push(u);
      }
    }
    return out;
  }

  /** One round: every node with a running pod of ours, then drop what belongs to no pod any more. */
  async round(): Promise<void> {
    const pods = this.#o.pods().filter((p) => p.spec?.nodeName && p.metadata?.deletionTimestamp === undefined);
    const wanted = new Set(pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
    const byId = new Map<string, ContainerRef>();
    for (const p of pods) {
      for (const cs of p.status?.containerStatuses ?? []) {
        const id = cs.containerID?.replace(/^[a-z0-9-]+:\/\//, '');
        if (id) byId.set(id, { namespace: p.metadata?.namespace ?? '', pod: p.metadata?.name ?? '', container: cs.name });
      }
    }
    const identify = (s: ContainerRef & { id: string }): ContainerRef | undefined => {
      if (s.container) return s.container !== 'POD' && wanted.has(`${s.namespace}/${s.pod}`) ? { namespace: s.namespace, pod: s.pod, container: s.container } : undefined;
      const id = containerIdOfCgroup(s.id);
      return id === undefined ? undefined : byId.get(id);
    };
    const nodes = [...new Set(pods.map((p) => p.spec!.nodeName!))].sort();
    const queue = [...nodes];
    const worker = async (): Promise<void> => {
      for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
        try {
          const text = await this.#o.fetchNode(node);
          const now = this.#o.clock.now();
          for (const { namespace, pod, container, ...r } of parseCadvisor(text, identify)) {
            const k = key(namespace, pod, container);
            const kept = this.#samples.get(k) ?? [];
            // cAdvisor collects a container's stats every 10-15 s (housekeeping) and
            // serves the same collection until the next: a reading is a collection,
            // known by its timestamp, not a request. Two requests of one collection
            // would make an idle counter of a busy container.
            if (r.at !== undefined && kept.at(-1)?.at === r.at) continue;
            this.#samples.set(k, [...kept, { ...r, at: r.at ?? now }].slice(-(this.#o.keep ?? 8)));
          }
        } catch (err) {
          // A node that cannot be read (gone, kubelet down, nodes/proxy not granted)
          // only leaves its containers without fresh readings: their verdicts hold.
          this.#o.log.warn({ node, err: (err as Error).message }, 'reading the kubelet\'s cAdvisor metrics failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency ?? 4, nodes.length) }, worker));
    for (const k of this.#samples.keys()) if (!wanted.has(k.slice(0, k.lastIndexOf('/')))) this.#samples.delete(k);
    this.#o.onRound?.(pods);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      void (this.#o.active() ? this.round() : Promise.resolve()).finally(() => this.#schedule(this.#o.intervalMs));
    }, ms);
  }
}

function key(namespace: string, pod: string, container: string): string {
  return `${namespace}/${pod}/${container}`;
}

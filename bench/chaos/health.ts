// Health as the benchmark sees it, the same for every arm and never from the
// operator's status: once a second, every pod of the arm's namespace. An agent
// is abnormal while it has no ready pod, or any pod that is not terminating and
// not Ready (crash-looping, OOM-killed, unready, pending): that is "not fully
// available" for a one-replica agent, and a crash-looping surge pod beside a
// serving old one counts, because the agent is failing to run what was asked.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { agentIndex, type Arm } from './fleet.ts';
import type { OomKill } from './real-node.ts';

export interface HealthSample { t: number; abnormal: Set<number> }

export function abnormalAgents(pods: readonly V1Pod[], podLabel: string, agents: number): Set<number> {
  const ready = new Set<number>();
  const abnormal = new Set<number>();
  for (const p of pods) {
    const i = agentIndex(p.metadata?.labels?.[podLabel] ?? '');
    if (i === undefined || i >= agents || p.metadata?.deletionTimestamp) continue;
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.add(i);
    else abnormal.add(i);
  }
  for (let i = 0; i < agents; i++) if (!ready.has(i)) abnormal.add(i);
  return abnormal;
}

/**
 * The OOM kills a pod list shows, each known by the dead container's ID (one
 * per container instance on a kubelet), else by pod, container and finish
 * time: the current state when it has just died, the last state once it has
 * restarted. A list once a second sees every kill, since the kubelet's
 * back-off keeps a restart at least 10 s after the kill.
 */
export function oomTerminations(pods: readonly V1Pod[], podLabel: string): { key: string; agent: number }[] {
  const out: { key: string; agent: number }[] = [];
  for (const p of pods) {
    const agent = agentIndex(p.metadata?.labels?.[podLabel] ?? '');
    if (agent === undefined) continue;
    for (const cs of p.status?.containerStatuses ?? []) {
      for (const t of [cs.state?.terminated, cs.lastState?.terminated]) {
        if (t?.reason !== 'OOMKilled') continue;
        out.push({ agent, key: t.containerID ?? `${p.metadata?.uid}/${cs.name}/${String(t.finishedAt)}` });
      }
    }
  }
  return out;
}

export interface Sampler {
  samples: Map<string, HealthSample[]>;
  /** per arm: every OOM kill seen, by its key (oomTerminations), first seen at t */
  oomKills: Map<string, Map<string, OomKill>>;
  stop(): Promise<void>;
  errors: number;
}

/** Samples every arm every intervalMs; t is seconds since origin (performance.now() ms). */
export function sampleHealth(core: CoreV1Api, arms: readonly Arm[], agents: number, origin: number, intervalMs = 1000): Sampler {
  const samples = new Map(arms.map((a) => [a.name, [] as HealthSample[]]));
  let stopped = false;
  const oomKills = new Map(arms.map((a) => [a.name, new Map<string, OomKill>()]));
  const s: Sampler = { samples, oomKills, errors: 0, stop: async () => { stopped = true; await loop; } };
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      await Promise.all(arms.map(async (arm) => {
        try {
          const pods = await core.listNamespacedPod({ namespace: arm.namespace });
          const t = (started - origin) / 1000;
          samples.get(arm.name)!.push({ t, abnormal: abnormalAgents(pods.items, arm.podLabel, agents) });
          const seen = oomKills.get(arm.name)!;
          for (const k of oomTerminations(pods.items, arm.podLabel)) if (!seen.has(k.key)) seen.set(k.key, { agent: k.agent, t });
        } catch {
          s.errors++;
        }
      }));
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (performance.now() - started))));
    }
  })();
  return s;
}

// Agent helpers for e2e tests: create or apply Agents, read them, their pods
// and events, wait for a condition. One home: an e2e file needing one of these
// imports it rather than keeping its own copy.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../src/api/agent.ts';
import type { RecoveryStatus } from '../../src/api/status.ts';
import type { Cluster } from './cluster.ts';
import { eventually } from './wait.ts';

const api = { group: 'agent-operator.dev', version: 'v1alpha1', plural: 'agents' };

/** `kubectl apply -n ns` of a file or of YAML text; throws with kubectl's stderr on failure. */
export async function apply(cluster: Cluster, namespace: string, source: { file: string } | { yaml: string }, extra: string[] = []): Promise<string> {
  const args = ['apply', '-n', namespace, ...extra, '-f', 'file' in source ? source.file : '-'];
  const res = await cluster.kubectl(args, 'yaml' in source ? { input: source.yaml } : {});
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

/** Creates the Agent through the API (no kubectl process: quicker than apply for a spec built in the test). */
export async function createAgent(cluster: Cluster, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await cluster.custom.createNamespacedCustomObject({ ...api, namespace, body: { apiVersion: `${api.group}/${api.version}`, kind: 'Agent', metadata: { name }, spec } });
}

export async function getAgent(cluster: Cluster, namespace: string, name: string): Promise<Agent> {
  return await cluster.custom.getNamespacedCustomObject({ ...api, namespace, name }) as Agent;
}

export async function agentExists(cluster: Cluster, namespace: string, name: string): Promise<boolean> {
  return getAgent(cluster, namespace, name).then(() => true, (e: { code?: number }) => {
    if (e.code === 404) return false;
    throw e;
  });
}

export function condition(agent: Agent, type: string) {
  return agent.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the condition has the status (and reason, when given) for the Agent's current generation. */
export async function waitForCondition(
  cluster: Cluster, namespace: string, name: string, type: string, status: 'True' | 'False',
  opts: { reason?: string; timeoutMs?: number } = {},
): Promise<Agent> {
  return eventually(async () => {
    const a = await getAgent(cluster, namespace, name);
    const c = condition(a, type);
    const current = a.status?.observedGeneration === a.metadata.generation;
    if (!current || c?.status !== status || (opts.reason !== undefined && c.reason !== opts.reason)) {
      throw new Error(`${type}=${c?.status}/${c?.reason} (${c?.message}) at observedGeneration ${a.status?.observedGeneration}/${a.metadata.generation}`);
    }
    return a;
  }, { timeoutMs: opts.timeoutMs ?? 90_000, message: `Agent ${namespace}/${name} ${type}=${status}${opts.reason ? `/${opts.reason}` : ''}` });
}

export function waitReady(cluster: Cluster, namespace: string, name: string, timeoutMs?: number): Promise<Agent> {
  return waitForCondition(cluster, namespace, name, 'Ready', 'True', timeoutMs ? { timeoutMs } : {});
}

export async function patchAgentSpec(cluster: Cluster, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const res = await cluster.kubectl(['patch', 'agent', name, '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec })]);
  if (res.code !== 0) throw new Error(`patching agent ${name} failed: ${res.stderr}`);
}

/** Events on an Agent, oldest first (by eventTime, which has microseconds, where firstTimestamp has only seconds). */
export async function agentEvents(cluster: Cluster, namespace: string, name: string): Promise<CoreV1Event[]> {
  const list = await cluster.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Agent,involvedObject.name=${name}` });
  const at = (e: CoreV1Event) => new Date(e.eventTime ?? e.firstTimestamp ?? 0).getTime();
  return list.items.sort((a, b) => at(a) - at(b));
}

/** Waits until an event with the reason is on the Agent; the first such event. */
export function waitForEvent(cluster: Cluster, namespace: string, name: string, reason: string, timeoutMs = 60_000): Promise<CoreV1Event> {
  return eventually(async () => {
    const e = (await agentEvents(cluster, namespace, name)).find((x) => x.reason === reason);
    if (!e) throw new Error(`no ${reason} event on Agent ${name} yet`);
    return e;
  }, { timeoutMs, message: `the ${reason} event on Agent ${namespace}/${name}` });
}

/** The Agent's pods, by the label the operator puts on every pod it runs for it. */
export async function agentPods(cluster: Cluster, namespace: string, name: string): Promise<V1Pod[]> {
  return (await cluster.core.listNamespacedPod({ namespace, labelSelector: `agent-operator.dev/agent=${name}` })).items;
}

/** One status.recovery as seen at a moment, on one line: for an assertion's message, so a failed timing shows its history. */
export function describeRecovery(s: { at: number; recovery?: RecoveryStatus | undefined }): string {
  const r = s.recovery ?? {};
  return `${new Date(s.at).toISOString()} attempts=${r.restartAttempts ?? 0} next=${r.nextRestartNotBefore ?? '-'} last=${r.lastAction ?? '-'}@${r.lastActionTime ?? '-'} healthySince=${r.healthySince ?? '-'}`;
}

/** Ready, and not on its way out. */
export function podReady(p: V1Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Converged: Ready, and the revision recorded as healthy (the status stops changing then). */
export async function waitConverged(cluster: Cluster, namespace: string, name: string): Promise<void> {
  await eventually(async () => {
    const a = await getAgent(cluster, namespace, name);
    if (a.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') throw new Error(`Agent ${name} is not Ready`);
    if (a.status?.lastHealthyRevision !== a.status?.revision) throw new Error(`Agent ${name}: revision ${a.status?.revision} not yet recorded healthy (${a.status?.lastHealthyRevision})`);
  }, { timeoutMs: 180_000, intervalMs: 1000, message: `Agent ${name} converged` });
}

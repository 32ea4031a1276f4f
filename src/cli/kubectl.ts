import { spawnSync } from 'node:child_process';
import type { Snapshot, AgentObject } from './view.ts';

// The plugin's only I/O: kubectl itself, which is on PATH wherever a kubectl
// plugin runs, so the user's kubeconfig, context, credentials plugins and
// proxies all work as they do for kubectl, and the plugin carries no client.

export interface Kubectl {
  /** Global flags to pass on: --namespace, --context, --kubeconfig, ... */
  flags: string[];
  bin: string;
}

export class KubectlError extends Error {}

function run(k: Kubectl, args: string[]): string {
  const r = spawnSync(k.bin, [...k.flags, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new KubectlError(`cannot run ${k.bin}: ${r.error.message}`);
  if (r.status !== 0) throw new KubectlError(r.stderr.trim() || `${k.bin} ${args.join(' ')} failed`);
  return r.stdout;
}

const items = <T>(json: string): T[] => (JSON.parse(json) as { items: T[] }).items;

export function listAgents(k: Kubectl): AgentObject[] {
  return items<AgentObject>(run(k, ['get', 'agents.agent-operator.dev', '-o', 'json']));
}

export function snapshot(k: Kubectl, name: string): Snapshot {
  const agent = JSON.parse(run(k, ['get', 'agents.agent-operator.dev', name, '-o', 'json'])) as AgentObject;
  const selector = `agent-operator.dev/agent=${name}`;
  const owned = items<{ kind: string; metadata?: { name?: string } }>(run(k, ['get', 'deployments.apps,replicasets.apps,pods', '-l', selector, '-o', 'json']));
  const deployment = owned.find((o) => o.kind === 'Deployment' && o.metadata?.name === name);
  const replicaSets = owned.filter((o) => o.kind === 'ReplicaSet');
  const pods = owned.filter((o) => o.kind === 'Pod');
  const podNames = new Set(pods.map((p) => p.metadata?.name));
  const events = items<{ involvedObject?: { kind?: string; name?: string } }>(run(k, ['get', 'events', '-o', 'json']))
    .filter((e) => (e.involvedObject?.kind === 'Agent' && e.involvedObject.name === name) || (e.involvedObject?.kind === 'Pod' && podNames.has(e.involvedObject.name)));
  return { agent, deployment, replicaSets, pods, events } as Snapshot;
}

export function annotate(k: Kubectl, name: string, set: Record<string, string>, remove: string[]): void {
  run(k, ['annotate', 'agents.agent-operator.dev', name, '--overwrite', ...Object.entries(set).map(([a, v]) => `${a}=${v}`), ...remove.map((a) => `${a}-`)]);
}

export function currentUser(k: Kubectl): string {
  try {
    return run(k, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']).trim() || 'unknown';
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

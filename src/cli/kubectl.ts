import { spawnSync } from 'node:child_process';
import type { CoreV1Event, V1ControllerRevision, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { Workload } from '../desired/workload.ts';
import { workloadName } from '../desired/names.ts';
import { workloadKind, type Snapshot, type AgentObject } from './view.ts';

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
  // Only the kinds the Agent's mode uses: a user allowed to read Deployments and ReplicaSets needs no more for a Deployment-mode Agent.
  const kind = workloadKind(agent);
  const kinds = kind === 'Deployment' ? 'deployments.apps,replicasets.apps' : `${kind.toLowerCase()}s.apps,controllerrevisions.apps`;
  const owned = items<Workload | V1ReplicaSet | V1ControllerRevision | V1Pod>(run(k, ['get', `${kinds},pods`, '-l', selector, '-o', 'json']));
  // A list of several kinds names each item's kind, which is all that tells them apart.
  const ofKind = <T>(k: string) => owned.filter((o) => o.kind === k) as T[];
  const workload = ofKind<Workload>(kind).find((o) => o.metadata?.name === workloadName(name));
  const pods = ofKind<V1Pod>('Pod');
  const podNames = new Set(pods.map((p) => p.metadata?.name));
  const events = items<CoreV1Event>(run(k, ['get', 'events', '-o', 'json']))
    .filter((e) => (e.involvedObject.kind === 'Agent' && e.involvedObject.name === name) || (e.involvedObject.kind === 'Pod' && podNames.has(e.involvedObject.name)));
  return { agent, workload, replicaSets: ofKind<V1ReplicaSet>('ReplicaSet'), controllerRevisions: ofKind<V1ControllerRevision>('ControllerRevision'), pods, events };
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

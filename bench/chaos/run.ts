// One chaos run on a cluster: the arms, the fleet, the schedule played against
// every arm at once, the health samples, and what the audit log and the
// operator's Events say about its steps. bench/chaos.ts wraps it with the
// cluster, the report and the plots; test/e2e/chaos.test.ts runs it short.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAuditWrites } from '../../test/support/audit.ts';
import { realNodeName } from '../../test/support/real-node.ts';
import { onCleanup } from '../lib/cleanup.ts';
import type { ArmName, ChaosOptions } from './args.ts';
import { startCause, type Cause } from './causes.ts';
import { figures, type ArmFigures, type Stretch } from './figures.ts';
import { abnormalAgents, timeline, watchHealth, type HealthSample } from './health.ts';
import { Kube } from '../lib/kube.ts';
import { agentName, applyRelease, createAgent, releaseFor, type Arm, type Clients, type Place } from './fleet.ts';
import { oomKillsByClass, realRelease } from './real-node.ts';
import { kwokNodes, nodeLoss } from './node-loss.ts';
import { listClaims, lostClaims, type Claim } from './volumes.ts';
import { startArmOperator, type ArmOperator } from './operators.ts';
import { operatorClasses, releaseClasses, type Fault, type FaultClass } from './schedule.ts';
import { fastHealthyAfterSeconds, schedules } from './plan.ts';


/**
 * The fast arm: the shortest settings the operator accepts as safe (docs/chaos.md
 * says why each), and the proactive memory raise, which acts only where the
 * operator reads a kubelet's cAdvisor metrics (the real node, --real-node).
 */
export const fastRecovery = {
  restart: { initialBackoffSeconds: 10, maxBackoffSeconds: 40, healthyResetSeconds: 60 },
  oomKilled: { action: 'IncreaseMemory', proactive: true },
};
export const fastEnv = { HEALTHY_AFTER_SECONDS: String(fastHealthyAfterSeconds) };
/**
 * A pod on a node the node lifecycle controller has marked lost (its grace
 * has already filtered short heartbeat gaps) is evicted 5 s later instead of
 * the default 30 s: the replacement starts elsewhere and a node that returns
 * stops the old pod. Not releaseStatefulPods: force-deleting risks two
 * copies at once, which no setting called safe may.
 */
export const fastFailover = { nodeLostSeconds: 5 };
/** Both operator arms read the node metrics when real-node agents run, so only proactive differs for memory-growth. */
export const nodeMetricsEnv = { NODE_METRICS: 'true', NODE_METRICS_INTERVAL_SECONDS: '5' };

/** The figures of one group of agents (the kwok ones, or the real node's). */
export interface GroupResult {
  figures: ArmFigures;
  /** OOM kills the kubelet reported, by the fault class of the release the agent ran ('none': before its first fault) */
  oomKills: Partial<Record<FaultClass | 'none', number>>;
}

export interface ArmResult {
  /** the kwok agents' figures, health samples and OOM kills */
  figures: ArmFigures;
  samples: HealthSample[];
  /** every agent's abnormal stretches, real-node agents included (stretches.csv: the figures can be recomputed from it) */
  stretches: Map<number, Stretch[]>;
  /** container restarts the watch saw only as a higher restartCount (a 1 s sample would have missed them) */
  hiddenRestarts: number;
  oomKills: GroupResult['oomKills'];
  /** the real node's agents (--real-node) */
  realNode?: GroupResult;
  operator?: { starts: number; crashes: number };
  /** operator writes (audit log) during the fault phase; undefined without an audit log */
  writes?: number;
  podDeletes?: number;
  /** remediation steps, from the operator's Events (RestartedPod, MemoryIncreased, RolledBack) */
  steps: number;
  /** steps whose Event (object, reason, message) was recorded more than once */
  repeatedSteps: string[];
  podsDeletedTwice: string[];
  /** the arm's PVCs once the fleet was up, and what became of each that is lost (volumes.ts) */
  claims: number;
  lostClaims: string[];
}

export interface RunResult {
  faults: Fault[]; realNodeFaults: Fault[]; runEnd: number; arms: ArmResult[]; faultErrors: string[];
  /** agents with a volume per arm (--storage-every): the PVCs each arm should have */
  storageAgents: number;
  /** nodes marked NotReady during the run that the bench did not stop (late heartbeats): suspect figures */
  unplannedNodeLoss: string[];
}

/**
 * real: the test agent's image on the real node, when o.realNode > 0.
 * clusterDir: hack/cluster's DIR (started with --node-lifecycle), needed when node-loss is in the mix.
 */
export async function runChaos(kubeconfig: string, o: ChaosOptions, workDir: string, log: (m: string) => void, real?: { image: string }, clusterDir?: string): Promise<RunResult> {
  if (o.realNode > 0 && !real) throw new Error('--real-node needs the real node and its test agent image');
  const losesNodes = o.mix['node-loss'] > 0;
  if (losesNodes && !clusterDir) throw new Error('--mix node-loss needs the bench\'s own cluster (hack/cluster up --node-lifecycle): unset BENCH_KUBECONFIG, or leave the class out with --mix node-loss=0');
  const total = o.agents + o.realNode;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const c: Clients = { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
  const nodes = losesNodes ? kwokNodes((await c.core.listNode()).items.map((n) => n.metadata?.name ?? '')) : [];
  if (losesNodes && nodes.length < 2) throw new Error(`--mix node-loss needs at least 2 kwok nodes, the cluster has ${nodes.length}`);
  const placeOf = (i: number): Place => (i >= o.agents && real ? { kind: 'real', image: real.image } : { kind: 'kwok', ...(losesNodes ? { node: nodes[i % nodes.length]! } : {}) });
  const hasStorage = (i: number) => i < o.agents && o.storageEvery > 0 && i % o.storageEvery === 0;
  if (o.realNode > 0) {
    const node = await c.core.readNode({ name: realNodeName }).catch(() => undefined);
    if (!node?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) throw new Error(`--real-node: the cluster has no Ready node ${realNodeName} (hack/cluster up --real-node)`);
  }
  const suffix = randomBytes(3).toString('hex');
  const arms: Arm[] = o.arms.map((name: ArmName): Arm => ({
    name, kind: name === 'plain' ? 'plain' : 'operator', namespace: `chaos-${name}-${suffix}`,
    podLabel: name === 'plain' ? 'app' : 'agent-operator.dev/agent',
    ...(name === 'fast' ? { recovery: fastRecovery, operatorEnv: fastEnv, failover: fastFailover } : {}),
  }));
  if (o.realNode > 0) for (const arm of arms) if (arm.kind === 'operator') arm.operatorEnv = { ...arm.operatorEnv, ...nodeMetricsEnv };
  for (const arm of arms) {
    await c.core.createNamespace({ body: { metadata: { name: arm.namespace, labels: { 'chaos.agent-operator.dev/run': suffix } } } });
    onCleanup(`delete namespace ${arm.namespace}`, () => c.core.deleteNamespace({ name: arm.namespace }).catch(() => {}));
    for (let i = 0; ; i++) {
      if (await c.core.readNamespacedServiceAccount({ name: 'default', namespace: arm.namespace }).then(() => true, () => false)) break;
      if (i > 300) throw new Error(`no default ServiceAccount in ${arm.namespace} after 60 s`);
      await sleep(200);
    }
  }
  const operators = new Map<string, ArmOperator>();
  for (const arm of arms) {
    if (arm.kind !== 'operator') continue;
    log(`starting the operator of arm ${arm.name} (WATCH_NAMESPACES=${arm.namespace})`);
    const op = await startArmOperator(kubeconfig, arm, workDir, log);
    operators.set(arm.name, op);
    onCleanup(`stop the operators of arm ${arm.name}`, () => op.stop());
  }

  log(`creating ${o.agents} agents${o.realNode ? ` and ${o.realNode} on the real node` : ''} in each of ${arms.length} arms`);
  const jobs = arms.flatMap((arm) => Array.from({ length: total }, (_, i) => () => createAgent(c, arm, i, placeOf(i), hasStorage(i))));
  await pool(jobs, 8);
  const readyBy = performance.now() + 600_000;
  for (;;) {
    const left = await Promise.all(arms.map(async (arm) => abnormalAgents((await c.core.listNamespacedPod({ namespace: arm.namespace })).items, arm.podLabel, total).size));
    if (left.every((n) => n === 0)) break;
    if (performance.now() > readyBy) throw new Error(`the fleet was not ready within 600 s: ${left.join('/')} agents not ready per arm`);
    await sleep(2000);
  }

  const faultSeconds = o.minutes * 60;
  const claimsBefore = new Map<string, Claim[]>();
  for (const arm of arms) claimsBefore.set(arm.name, await listClaims(c.core, arm.namespace));
  // the schedules bench/chaos.ts checked before the cluster was up (plan.ts)
  const { kwok: kwokFaults, real: realFaults } = schedules(o);
  const faults = [...kwokFaults, ...realFaults].sort((a, b) => a.at - b.at);
  const runEnd = Math.max(o.warmupSeconds + faultSeconds, ...faults.map((f) => f.endsAt)) + o.settleSeconds;
  // The watches start 3 s before t = 0, so each watch's first answer (what exists, as ADDED) is in before the clock runs.
  const origin = performance.now() + 3000;
  const wallOrigin = Date.now() + 3000;
  const startedAt = new Date();
  const kube = await Kube.connect(kubeconfig);
  onCleanup('close the health watches\' connections', () => kube.close());
  const health = await watchHealth(kube, arms, total, (ms) => (ms - origin) / 1000, wallOrigin);
  onCleanup('stop the health watches', () => health.stop());
  await sleep(Math.max(0, origin - performance.now()));
  const clock = () => (performance.now() - origin) / 1000;
  const nodesLost = clusterDir && losesNodes ? nodeLoss(clusterDir, (node, down) => { for (const l of health.ledgers.values()) l.node(clock(), node, down); }, log) : undefined;
  if (nodesLost) onCleanup('start the nodes the run stopped', () => nodesLost.restoreAll());
  log(`fleet ready; ${kwokFaults.length} faults${realFaults.length ? ` (and ${realFaults.length} on the real node)` : ''} over ${faultSeconds} s after ${o.warmupSeconds} s of warmup; the run ends at ${runEnd.toFixed(0)} s`);

  const faultErrors: string[] = [];
  const stoppedNodes = new Set<string>();
  const at = (t: number) => sleep(Math.max(0, origin + t * 1000 - performance.now()));
  const guard = (what: string, p: Promise<unknown>) => p.catch((e: unknown) => { faultErrors.push(`${what}: ${(e as Error).message}`); log(`${what} FAILED: ${(e as Error).message}`); });
  const played = faults.map(async (f) => {
    await at(f.at);
    const place = placeOf(f.agent);
    log(`fault ${f.id} ${f.class} on ${agentName(f.agent)}${place.kind === 'real' ? ' (real node)' : ''}`);
    const release = place.kind === 'real' ? realRelease(f.class, f.id) : releaseFor(f.class, f.id);
    const causes: (Cause | undefined)[] = [];
    const lost = f.class === 'node-loss' && place.kind === 'kwok' ? place.node : undefined;
    if (lost) stoppedNodes.add(lost);
    if (lost && nodesLost) {
      log(`fault ${f.id}: stopping node ${lost}`);
      await guard(`fault ${f.id} node-stop ${lost}`, nodesLost.stop(lost));
    }
    await Promise.all(arms.map(async (arm) => {
      if (operatorClasses.has(f.class) && operators.has(arm.name)) {
        const op = operators.get(arm.name)!;
        void guard(`fault ${f.id} ${f.class} ${arm.name}`, f.class === 'operator-kill' ? op.kill() : op.failover());
      }
      causes.push(startCause(c.core, arm, f));
      if (release) await guard(`fault ${f.id} release ${arm.name}`, applyRelease(c, arm, f.agent, release, place, hasStorage(f.agent)));
    }));
    await at(f.endsAt);
    log(`fault ${f.id} ${f.class} on ${agentName(f.agent)}: ${releaseClasses.has(f.class) ? 'the person reverts' : 'the cause ends'}`);
    await Promise.all([
      ...causes.map((cause, k) => cause && guard(`fault ${f.id} end ${arms[k]!.name}`, cause.end())),
      ...(releaseClasses.has(f.class) ? arms.map((arm) => guard(`fault ${f.id} revert ${arm.name}`, applyRelease(c, arm, f.agent, undefined, place, hasStorage(f.agent)))) : []),
      ...(lost && nodesLost ? [guard(`fault ${f.id} node-start ${lost}`, nodesLost.start(lost))] : []),
    ]);
  });
  await Promise.all(played);
  await at(runEnd);
  health.stop();
  const notReady = (await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'reason=NodeNotReady' })).items
    .filter((e) => new Date(e.lastTimestamp ?? e.eventTime ?? 0).getTime() >= startedAt.getTime() && !stoppedNodes.has(e.involvedObject.name ?? ''))
    .map((e) => `${e.involvedObject.name} at ${String(e.lastTimestamp ?? e.eventTime)}`);
  const claimsAfter = new Map<string, Claim[]>();
  for (const arm of arms) claimsAfter.set(arm.name, await listClaims(c.core, arm.namespace));
  for (const op of operators.values()) await op.stop();

  // the agents each lost node hosted (those preferring it), while it was down
  const downs = kwokFaults.flatMap((f) => {
    const node = f.class === 'node-loss' ? placeOf(f.agent) : undefined;
    if (node?.kind !== 'kwok' || !node.node) return [];
    const agents = new Set(Array.from({ length: o.agents }, (_, i) => i).filter((i) => { const p = placeOf(i); return p.kind === 'kwok' && p.node === node.node; }));
    return [{ agents, from: f.at, to: f.endsAt }];
  });
  const results: ArmResult[] = [];
  for (const arm of arms) {
    const ledger = health.ledgers.get(arm.name)!;
    const all = ledger.stretches();
    const kills = [...ledger.oomKills.values()].filter((k) => k.t >= 0 && k.t <= runEnd);
    const group = (from: number, to: number, mine: Fault[]): GroupResult => {
      const stretches = new Map([...all].filter(([a]) => a >= from && a < to).map(([a, list]) => [a - from, list]));
      const shifted = mine.map((f) => ({ ...f, agent: f.agent - from }));
      return {
        figures: figures(arm.name, to - from, shifted, stretches, runEnd, downs.map((d) => ({ ...d, agents: new Set([...d.agents].filter((a) => a >= from && a < to).map((a) => a - from)) })), o.settleSeconds),
        oomKills: Object.fromEntries(oomKillsByClass(kills.filter((k) => k.agent >= from && k.agent < to), mine)),
      };
    };
    const kwok = group(0, o.agents, kwokFaults);
    const samples = timeline(new Map([...all].filter(([a]) => a < o.agents)), runEnd);
    const op = operators.get(arm.name);
    const events = op ? (await c.core.listNamespacedEvent({ namespace: arm.namespace })).items : [];
    if (op) {
      // for reading a run afterwards (--keep): what the operator recorded per Agent, and its Events
      const agents = await c.custom.listNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', namespace: arm.namespace, plural: 'agents' }) as { items: unknown[] };
      writeFileSync(join(workDir, `agents-${arm.name}.json`), JSON.stringify({ agents: agents.items, events }, null, 1));
    }
    const stepEvents = events.filter((e) => ['RestartedPod', 'MemoryIncreased', 'RolledBack'].includes(e.reason ?? '') && e.source?.component !== 'kubelet');
    const r: ArmResult = { figures: kwok.figures, samples, stretches: all, hiddenRestarts: ledger.hiddenRestarts, oomKills: kwok.oomKills, steps: count(stepEvents), repeatedSteps: repeated(stepEvents), podsDeletedTwice: [],
      claims: claimsBefore.get(arm.name)!.length, lostClaims: lostClaims(claimsBefore.get(arm.name)!, claimsAfter.get(arm.name)!) };
    if (o.realNode > 0) r.realNode = group(o.agents, total, realFaults);
    if (op) r.operator = { starts: op.starts, crashes: op.crashes };
    if (o.auditLog && op) {
      const writes = await readAuditWrites(o.auditLog, { userAgent: 'agent-operator/', namespace: arm.namespace, since: startedAt });
      r.writes = writes.length;
      const deletes = writes.filter((w) => w.objectRef?.resource === 'pods' && w.verb === 'delete' && (w.responseStatus?.code ?? 0) < 300);
      r.podDeletes = deletes.length;
      const byName = new Map<string, number>();
      for (const d of deletes) byName.set(d.objectRef?.name ?? '', (byName.get(d.objectRef?.name ?? '') ?? 0) + 1);
      r.podsDeletedTwice = [...byName].filter(([, n]) => n > 1).map(([name]) => name);
    }
    results.push(r);
  }
  return { faults: kwokFaults, realNodeFaults: realFaults, runEnd, arms: results, faultErrors, storageAgents: Array.from({ length: total }, (_, i) => i).filter(hasStorage).length, unplannedNodeLoss: notReady };
}

const count = (events: readonly CoreV1Event[]) => events.reduce((n, e) => n + (e.count ?? 1), 0);

/** A step's Event seen twice for one object: the same action (same pod, same from -> to) taken again. */
function repeated(events: readonly CoreV1Event[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) {
    const key = `${e.involvedObject.name} ${e.reason}: ${e.message}`;
    seen.set(key, (seen.get(key) ?? 0) + (e.count ?? 1));
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} (x${n})`);
}

async function pool(jobs: (() => Promise<unknown>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
}

// One chaos run on a cluster: the arms, the fleet, the schedule played against
// every arm at once, the health samples, and what the audit log and the
// operator's Events say about its steps. bench/chaos.ts wraps it with the
// cluster, the report and the plots; test/e2e/chaos.test.ts runs it short.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAuditWrites } from '../../test/support/audit.ts';
import { onCleanup } from '../lib/cleanup.ts';
import type { ArmName, ChaosOptions } from './args.ts';
import { startCause, type Cause } from './causes.ts';
import { figures, toStretches, type ArmFigures } from './figures.ts';
import { abnormalAgents, sampleHealth, type HealthSample } from './health.ts';
import { agentName, applyRelease, createAgent, releaseFor, type Arm, type Clients } from './fleet.ts';
import { startArmOperator, type ArmOperator } from './operators.ts';
import { operatorClasses, releaseClasses, schedule, type Fault } from './schedule.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fast arm: the shortest settings the operator accepts as safe (docs/chaos.md says why each). */
export const fastRecovery = { restart: { initialBackoffSeconds: 10, maxBackoffSeconds: 40, healthyResetSeconds: 60 } };
export const fastEnv = { HEALTHY_AFTER_SECONDS: '15' };

export interface ArmResult {
  figures: ArmFigures;
  samples: HealthSample[];
  operator?: { starts: number; crashes: number };
  /** operator writes (audit log) during the fault phase; undefined without an audit log */
  writes?: number;
  podDeletes?: number;
  /** remediation steps, from the operator's Events (RestartedPod, MemoryIncreased, RolledBack) */
  steps: number;
  /** steps whose Event (object, reason, message) was recorded more than once */
  repeatedSteps: string[];
  podsDeletedTwice: string[];
}

export interface RunResult { faults: Fault[]; runEnd: number; arms: ArmResult[]; sampleErrors: number; faultErrors: string[] }

export async function runChaos(kubeconfig: string, o: ChaosOptions, workDir: string, log: (m: string) => void): Promise<RunResult> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const c: Clients = { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
  const suffix = randomBytes(3).toString('hex');
  const arms: Arm[] = o.arms.map((name: ArmName): Arm => ({
    name, kind: name === 'plain' ? 'plain' : 'operator', namespace: `chaos-${name}-${suffix}`,
    podLabel: name === 'plain' ? 'app' : 'agent-operator.dev/agent',
    ...(name === 'fast' ? { recovery: fastRecovery, operatorEnv: fastEnv } : {}),
  }));
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

  log(`creating ${o.agents} agents in each of ${arms.length} arms`);
  const jobs = arms.flatMap((arm) => Array.from({ length: o.agents }, (_, i) => () => createAgent(c, arm, i)));
  await pool(jobs, 8);
  const readyBy = performance.now() + 600_000;
  for (;;) {
    const left = await Promise.all(arms.map(async (arm) => abnormalAgents((await c.core.listNamespacedPod({ namespace: arm.namespace })).items, arm.podLabel, o.agents).size));
    if (left.every((n) => n === 0)) break;
    if (performance.now() > readyBy) throw new Error(`the fleet was not ready within 600 s: ${left.join('/')} agents not ready per arm`);
    await sleep(2000);
  }

  const faultSeconds = o.minutes * 60;
  const faults = schedule({
    seed: o.seed, agents: o.agents, warmupSeconds: o.warmupSeconds, faultSeconds,
    faults: Math.max(1, Math.round(o.faultsPerMinute * o.minutes)), mix: o.mix,
    humanAfterSeconds: o.humanAfterSeconds, causeSeconds: o.causeSeconds, settleSeconds: o.settleSeconds,
  });
  const runEnd = Math.max(o.warmupSeconds + faultSeconds, ...faults.map((f) => f.endsAt)) + o.settleSeconds;
  const origin = performance.now();
  const startedAt = new Date();
  log(`fleet ready; ${faults.length} faults over ${faultSeconds} s after ${o.warmupSeconds} s of warmup; the run ends at ${runEnd.toFixed(0)} s`);
  const sampler = sampleHealth(c.core, arms, o.agents, origin);
  onCleanup('stop the health sampler', () => sampler.stop());

  const faultErrors: string[] = [];
  const at = (t: number) => sleep(Math.max(0, origin + t * 1000 - performance.now()));
  const guard = (what: string, p: Promise<unknown>) => p.catch((e: unknown) => { faultErrors.push(`${what}: ${(e as Error).message}`); log(`${what} FAILED: ${(e as Error).message}`); });
  const played = faults.map(async (f) => {
    await at(f.at);
    log(`fault ${f.id} ${f.class} on ${agentName(f.agent)}`);
    const release = releaseFor(f.class, f.id);
    const causes: (Cause | undefined)[] = [];
    await Promise.all(arms.map(async (arm) => {
      if (operatorClasses.has(f.class) && operators.has(arm.name)) {
        const op = operators.get(arm.name)!;
        void guard(`fault ${f.id} ${f.class} ${arm.name}`, f.class === 'operator-kill' ? op.kill() : op.failover());
      }
      causes.push(startCause(c.core, arm, f));
      if (release) await guard(`fault ${f.id} release ${arm.name}`, applyRelease(c, arm, f.agent, release));
    }));
    await at(f.endsAt);
    log(`fault ${f.id} ${f.class} on ${agentName(f.agent)}: ${releaseClasses.has(f.class) ? 'the person reverts' : 'the cause ends'}`);
    await Promise.all([
      ...causes.map((cause, k) => cause && guard(`fault ${f.id} end ${arms[k]!.name}`, cause.end())),
      ...(releaseClasses.has(f.class) ? arms.map((arm) => guard(`fault ${f.id} revert ${arm.name}`, applyRelease(c, arm, f.agent, undefined))) : []),
    ]);
  });
  await Promise.all(played);
  await at(runEnd);
  await sampler.stop();
  for (const op of operators.values()) await op.stop();

  const results: ArmResult[] = [];
  for (const arm of arms) {
    const samples = sampler.samples.get(arm.name)!.filter((s) => s.t <= runEnd);
    const fig = figures(arm.name, o.agents, faults, toStretches(samples), runEnd);
    const op = operators.get(arm.name);
    const events = op ? (await c.core.listNamespacedEvent({ namespace: arm.namespace })).items : [];
    if (op) {
      // for reading a run afterwards (--keep): what the operator recorded per Agent, and its Events
      const agents = await c.custom.listNamespacedCustomObject({ group: 'agent-operator.dev', version: 'v1alpha1', namespace: arm.namespace, plural: 'agents' }) as { items: unknown[] };
      writeFileSync(join(workDir, `agents-${arm.name}.json`), JSON.stringify({ agents: agents.items, events }, null, 1));
    }
    const stepEvents = events.filter((e) => ['RestartedPod', 'MemoryIncreased', 'RolledBack'].includes(e.reason ?? '') && e.source?.component !== 'kubelet');
    const r: ArmResult = { figures: fig, samples, steps: count(stepEvents), repeatedSteps: repeated(stepEvents), podsDeletedTwice: [] };
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
  return { faults, runEnd, arms: results, sampleErrors: sampler.errors, faultErrors };
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

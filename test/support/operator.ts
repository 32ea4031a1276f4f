// The operator under test: its CRD installed into the cluster, and the
// operator itself run as a child process (`node src/main.ts`), exactly as
// `make run` runs it, so e2e tests see the real process: flags, logs,
// metrics, leader election, signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
export { freePort };
import type { Cluster } from './cluster.ts';
import { repoRoot } from './cluster.ts';
import { eventually } from './wait.ts';

export const crdPath = join(repoRoot, 'crds/agent-operator.dev_agents.yaml');

/** Server-side applies the generated CRD and waits until it is Established. Idempotent. */
export async function installCRD(cluster: Cluster): Promise<void> {
  const applied = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', crdPath]);
  if (applied.code !== 0) throw new Error(`installing the CRD failed: ${applied.stderr}`);
  // `kubectl wait` fails at once on a CRD that has no conditions yet, so poll.
  await eventually(async () => {
    const res = await cluster.kubectl(['get', 'crd/agents.agent-operator.dev', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
    return res.stdout === 'True';
  }, { timeoutMs: 60_000, message: 'the Agent CRD Established' });
}


export interface OperatorOptions {
  /** WATCH_NAMESPACES; tests scope each operator to their own namespaces so files never share one. */
  namespaces: string[];
  leaderElect?: boolean;
  /** Lease name and namespace when leaderElect (default: a per-test name in the first namespace). */
  leaseName?: string;
  leaseNamespace?: string;
  identity?: string;
  workers?: number;
  env?: Record<string, string>;
  /** A kubeconfig other than the cluster admin's (e.g. the chart ServiceAccount's token). */
  kubeconfigPath?: string;
}

export interface RunningOperator {
  process: ChildProcess;
  metricsPort: number;
  healthPort: number;
  /** Every log line so far, parsed (non-JSON lines kept as { msg }). */
  logs(): Record<string, unknown>[];
  metrics(): Promise<string>;
  /** Sum of a counter's samples whose labels include every given label. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no cleanup, no lease release. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts the operator and waits until /readyz answers 200. Stopped at the cluster's teardown if still running. */
export async function startOperator(cluster: Cluster, opts: OperatorOptions): Promise<RunningOperator> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const env: Record<string, string> = {
    ...process.env as Record<string, string>,
    KUBECONFIG: opts.kubeconfigPath ?? cluster.kubeconfigPath,
    WATCH_NAMESPACES: opts.namespaces.join(','),
    LEADER_ELECT: String(opts.leaderElect ?? false),
    LEADER_ELECTION_NAMESPACE: opts.leaseNamespace ?? opts.namespaces[0] ?? 'default',
    LEASE_NAME: opts.leaseName ?? `agent-operator-${opts.namespaces[0] ?? 'e2e'}`,
    METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
    HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`,
    WORKERS: String(opts.workers ?? 2),
    LOG_LEVEL: process.env.E2E_OPERATOR_LOG_LEVEL ?? 'debug',
    // a revision counts as healthy (the Rollback target) after 10 s instead of
    // the production 60 s: the rollback scenarios wait for it
    HEALTHY_AFTER_SECONDS: '10',
    ...(opts.identity ? { POD_NAME: opts.identity } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [join(repoRoot, 'src/main.ts')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (process.env.E2E_OPERATOR_LOGS === '1') process.stderr.write(`[operator ${child.pid}] ${line}\n`);
      try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { lines.push({ msg: line }); }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => { done = true; });

  const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const op: RunningOperator = {
    process: child, metricsPort, healthPort, exited,
    logs: () => lines,
    metrics,
    async counter(name, labels = {}) {
      const text = await metrics();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
        if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(line.trim().split(/\s+/).at(-1));
      }
      return sum;
    },
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
  };
  cluster.onTeardown(() => op.kill());
  await eventually(async () => {
    if (done) throw new Error(`the operator exited during startup:\n${lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
    const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
    return res?.status === 200;
  }, { timeoutMs: 60_000, message: 'operator /readyz' });
  return op;
}

/**
 * Rejects as soon as the operator exits, with the tail of its log: a wait that
 * races it fails at once instead of timing out when the operator died. Never
 * an unhandled rejection when nothing races it any more.
 */
/** The operator's last warnings and errors, one line each: what its connections and reconciles did, for a failure message. */
export function operatorTrouble(op: RunningOperator, last = 25): string {
  const lines = op.logs().filter((l) => l['level'] === 'warn' || l['level'] === 'error').slice(-last);
  return lines.map((l) => {
    const err = l['err'] as { message?: string } | undefined;
    return `${String(l['time'])} ${String(l['informer'] ?? l['name'] ?? '')} ${String(l['msg'])}: ${err?.message ?? ''}`;
  }).join('\n');
}

export function exitAlarm(op: RunningOperator): Promise<never> {
  const alarm = op.exited.then((code) => {
    throw new Error(`the operator exited (code ${code}):\n${op.logs().slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  alarm.catch(() => undefined);
  return alarm;
}

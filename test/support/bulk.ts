// Many Agents at once, for the fault suite: created with bounded concurrency
// (a client that floods a frozen apiserver measures the client, not the
// operator), each create retried through connection errors and a restarting
// apiserver until it lands; and a census of how many have converged.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from '../../src/api/agent.ts';
import type { AgentSpec } from '../../src/api/spec.ts';
import type { Cluster } from './cluster.ts';
import { operatorTrouble, type RunningOperator } from './operator.ts';
import { describe as describeError, eventually } from './wait.ts';

const api = { group: 'agent-operator.dev', version: 'v1alpha1', plural: 'agents' };

export interface BulkCreate {
  /** Agents the apiserver has confirmed so far (a 409 after a lost response counts: it is there). */
  readonly created: number;
  /** Failed attempts that were retried (connection refused/reset, 5xx, 429, timeouts). */
  readonly retries: number;
  /** Resolves when every Agent exists. */
  done: Promise<void>;
}

/** Creates `count` Agents named `${prefix}-<i>` with `concurrency` requests in flight at most. */
export function createAgents(cluster: Cluster, namespace: string, opts: { prefix: string; count: number; spec: AgentSpec; concurrency?: number; deadlineMs?: number }): BulkCreate {
  let next = 0;
  let created = 0;
  let retries = 0;
  const deadline = Date.now() + (opts.deadlineMs ?? 300_000);
  const createOne = async (name: string) => {
    for (;;) {
      try {
        await cluster.custom.createNamespacedCustomObject({
          ...api, namespace,
          body: { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: opts.spec },
        });
        return;
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === 409) return;
        if (typeof code === 'number' && code >= 400 && code < 500 && code !== 429 && code !== 408) {
          throw new Error(`creating Agent ${namespace}/${name}: ${describeError(e)}`);
        }
        if (Date.now() > deadline) throw new Error(`creating Agent ${namespace}/${name} still failing at the deadline: ${describeError(e)}`);
        retries++;
        await sleep(250);
      }
    }
  };
  const worker = async () => {
    while (next < opts.count) {
      const i = next++;
      await createOne(`${opts.prefix}-${i}`);
      created++;
    }
  };
  const done = Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, opts.count) }, worker)).then(() => undefined);
  return {
    get created() { return created; },
    get retries() { return retries; },
    done,
  };
}

export interface Census {
  total: number;
  /** Ready=True for the current generation */
  ready: number;
  /** names not (yet) ready, first few */
  notReady: string[];
}

/** Counts the namespace's Agents that are Ready for their current generation. */
export async function census(cluster: Cluster, namespace: string): Promise<Census> {
  const list = await cluster.custom.listNamespacedCustomObject({ ...api, namespace }) as { items: Agent[] };
  const notReady: string[] = [];
  let ready = 0;
  for (const a of list.items) {
    const c = a.status?.conditions?.find((x) => x.type === 'Ready');
    if (c?.status === 'True' && a.status?.observedGeneration === a.metadata.generation) ready++;
    else notReady.push(`${a.metadata.name}(${c?.status ?? 'no status'}/${c?.reason ?? ''} gen ${a.status?.observedGeneration}/${a.metadata.generation})`);
  }
  return { total: list.items.length, ready, notReady: notReady.slice(0, 5) };
}

/** Resolves once `check` holds, polling every `intervalMs`; rejects as soon as `abort` does (e.g. the operator exited). */
export async function until(check: () => boolean, abort: Promise<never>, intervalMs = 100): Promise<void> {
  const poll = (async () => {
    while (!check()) await sleep(intervalMs);
  })();
  await Promise.race([poll, abort]);
}

/**
 * Waits until all `count` Agents in the namespace exist and are Ready, racing
 * `abort` (test/support/operator.ts exitAlarm: an operator that dies fails the
 * wait at once). Resolves to the milliseconds it took.
 */
export async function allReady(cluster: Cluster, namespace: string, count: number, abort: Promise<never>, timeoutMs: number, op?: RunningOperator): Promise<number> {
  const started = Date.now();
  await Promise.race([abort, eventually(async () => {
    const c = await census(cluster, namespace);
    assert.equal(c.total, count, 'every Agent exists');
    assert.equal(c.ready, count, `Ready ${c.ready}/${count}; e.g. ${c.notReady.join(', ')}`);
  }, { timeoutMs, intervalMs: 2000, message: `all ${count} Agents in ${namespace} Ready` })]).catch((err: unknown) => {
    // With the operator given, a failure says what its connections and reconciles did.
    if (!op) throw err;
    throw new Error(`${(err as Error).message}\nthe operator's last warnings and errors:\n${operatorTrouble(op)}`, { cause: err });
  });
  return Date.now() - started;
}

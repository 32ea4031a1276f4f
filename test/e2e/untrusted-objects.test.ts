// Issue 9, defect 3: one deeply nested Agent stalled the cache for the whole
// cluster. The apiserver accepts an Agent whose inline config is nested
// thousands of levels deep (the CRD cannot bound the depth of a
// preserve-unknown-fields value); the informer's recursive freeze threw on
// it, so a running operator stopped seeing later Agents and a cold start
// never synced, while /readyz stayed green. Now: the deep Agent is refused by
// the operator's schema (InvalidSpec naming the field), every other Agent is
// reconciled, before and after an operator restart, and /readyz is green only
// because the caches are.
//
// Also: Agents stored with values today's schema refuses (as an older CRD,
// or one without its schema, would have left them), written straight into
// etcd, the only way past the apiserver's validation. Each is reported
// InvalidSpec naming each field (in status; for values of the wrong type, to
// which the apiserver refuses every status write, in a Warning event), its
// Service is kept, and the operator and the other Agents go on. Needs the
// local control plane's etcd (skipped otherwise).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentEvents, condition, getAgent, waitReady } from '../support/agents.ts';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
let ns: string;

const agentsPath = (namespace: string) => `/apis/agent-operator.dev/v1alpha1/namespaces/${namespace}/agents`;

/** The Agent as JSON text: client-node would serialise it with JSON.stringify, which recurses. */
function deepAgentJson(name: string, depth: number): string {
  const head = JSON.stringify({ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { image: 'example.com/agent:1', config: { layers: [{ inline: '@' }] } } });
  const [before, after] = head.split('"@"') as [string, string];
  return `${before}${'{"a":'.repeat(depth)}"leaf"${'}'.repeat(depth)}${after}`;
}

async function createPlain(name: string): Promise<void> {
  await cluster().custom.createNamespacedCustomObject({
    group: 'agent-operator.dev', version: 'v1alpha1', namespace: ns, plural: 'agents',
    body: { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { image: 'example.com/agent:1' } },
  });
}

async function readyz(op: RunningOperator): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${op.healthPort}/readyz`);
  return { status: res.status, body: await res.text() };
}

/** The Agent's stored JSON in the local control plane's etcd (its v3 JSON gateway), and a way to replace it. */
function etcdOf(clusterDir: string) {
  const port = /^ETCD_PORT=(\d+)$/m.exec(readFileSync(join(clusterDir, 'cluster.env'), 'utf8'))?.[1];
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const call = async (op: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${port}/v3/kv/${op}`, { method: 'POST', body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 200, `etcd ${op}: ${text}`);
    return JSON.parse(text) as { kvs?: { value: string }[] };
  };
  const key = (namespace: string, name: string) => b64(`/registry/agent-operator.dev/agents/${namespace}/${name}`);
  return {
    get: async (namespace: string, name: string) => JSON.parse(Buffer.from((await call('range', { key: key(namespace, name) })).kvs![0]!.value, 'base64').toString()),
    put: async (namespace: string, name: string, obj: object) => { await call('put', { key: key(namespace, name), value: b64(JSON.stringify(obj)) }); },
  };
}

describe('Agents stored that the operator\'s schema refuses', () => {
  let op: RunningOperator;
  let depth = 0;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'untrusted-objects');
    op = await startOperator(cluster(), { namespaces: [ns] });
    await createPlain('before');
    await waitReady(cluster(), ns, 'before');
  });

  it('is accepted by the apiserver as deep as it goes', async () => {
    // The deepest the apiserver takes (its JSON decoder stops at 10,000 levels, the object's own included).
    for (const d of [9_990, 9_900, 9_000, 5_000]) {
      const res = await cluster().kubectl(['create', '--raw', agentsPath(ns), '-f', '-'], { input: deepAgentJson('deep', d) });
      if (res.code === 0) {
        depth = d;
        break;
      }
      console.log(`# the apiserver refused ${d} levels: ${res.stderr.slice(0, 200)}`);
    }
    assert.ok(depth >= 5_000, 'the apiserver accepted a deep Agent');
    console.log(`# created an Agent with inline config nested ${depth} levels deep`);
  });

  it('is refused by the operator with the field and the fix, and the Agents around it are reconciled', async () => {
    assert.ok(depth > 0);
    // First the Agent created after it: the cache must still take in new objects.
    await createPlain('after');
    await waitReady(cluster(), ns, 'after');
    const deep = await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'deep');
      assert.equal(condition(a, 'Stalled')?.reason, 'InvalidSpec', JSON.stringify(a.status?.conditions));
      return a;
    }, { timeoutMs: 60_000, message: 'the deep Agent gets Stalled/InvalidSpec' });
    assert.match(condition(deep, 'Stalled')!.message, /spec\.config\.layers\.0\.inline: nested more than 32 levels deep: flatten it/);
    const r = await readyz(op);
    assert.equal(r.status, 200, r.body);
  });

  it('lets a cold start sync, and later Agents reconcile', async () => {
    assert.equal(await op.stop(), 0);
    const started = Date.now();
    op = await startOperator(cluster(), { namespaces: [ns] }); // resolves once /readyz answers 200
    console.log(`# cold start with the deep Agent in the cache: ready in ${Date.now() - started} ms`);
    await createPlain('later');
    await waitReady(cluster(), ns, 'later');
    assert.equal(condition(await getAgent(cluster(), ns, 'deep'), 'Stalled')?.reason, 'InvalidSpec');
    assert.equal((await readyz(op)).status, 200);
    const crashes = op.logs().filter((l) => /Maximum call stack/.test(JSON.stringify(l)));
    assert.deepEqual(crashes, [], 'nothing overflowed the stack');
  });

  it('Agents stored with values the schema refuses (written into etcd) are reported InvalidSpec naming each field, keep their Service, and the operator and other Agents go on', async (t) => {
    const dir = cluster().clusterDir;
    if (!dir) return t.skip(`no etcd to write to: the cluster comes from ${cluster().source}, not from hack/cluster`);
    const etcd = etcdOf(dir);
    for (const name of ['wrong-types', 'out-of-bounds']) {
      await cluster().custom.createNamespacedCustomObject({
        group: 'agent-operator.dev', version: 'v1alpha1', namespace: ns, plural: 'agents',
        body: { apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { image: 'example.com/agent:1', ports: [{ name: 'http', containerPort: 8080 }] } },
      });
      await waitReady(cluster(), ns, name);
    }
    // A new generation each, as the apiserver would have given a spec change: the operator reconciles spec changes.
    const rewrite = async (name: string, spec: (s: Record<string, unknown>) => Record<string, unknown>) => {
      const stored = await etcd.get(ns, name);
      await etcd.put(ns, name, { ...stored, metadata: { ...stored.metadata, generation: stored.metadata.generation + 1 }, spec: spec(stored.spec) });
    };
    await rewrite('wrong-types', (s) => ({ ...s, mode: 5, env: 'TOKEN' }));
    await rewrite('out-of-bounds', (s) => ({ ...s, replicas: 5000, image: 'example.com/agent:1 two' }));

    // Values of the right type: the status says it (the apiserver lets a status through beside unchanged invalid values).
    const bounds = await eventually(async () => {
      const a = await getAgent(cluster(), ns, 'out-of-bounds');
      assert.equal(condition(a, 'Stalled')?.reason, 'InvalidSpec', JSON.stringify(a.status?.conditions));
      return a;
    }, { timeoutMs: 60_000, message: 'the out-of-bounds Agent gets Stalled/InvalidSpec' });
    assert.match(condition(bounds, 'Stalled')!.message, /spec\.replicas: .*spec\.image: |spec\.image: .*spec\.replicas: /);
    // Values of the wrong type: server-side apply cannot type the stored object, so the apiserver
    // refuses every status write to it; a Warning event says it instead.
    await eventually(async () => {
      const said = (await agentEvents(cluster(), ns, 'wrong-types')).filter((e) => e.reason === 'InvalidSpec').map((e) => e.message ?? '');
      assert.ok(said.some((m) => /spec\.mode: /.test(m) && /spec\.env: /.test(m)), JSON.stringify(said));
    }, { timeoutMs: 60_000, message: 'an InvalidSpec event names spec.mode and spec.env' });
    for (const name of ['wrong-types', 'out-of-bounds']) {
      const svc = await cluster().kubectl(['get', 'service', '-n', ns, name, '-o', 'jsonpath={.spec.ports[0].port}']);
      assert.equal(svc.stdout, '8080', `${name}'s Service stays: ${svc.stderr}`);
    }
    await createPlain('beside-them');
    await waitReady(cluster(), ns, 'beside-them');
    assert.equal(op.process.exitCode, null, 'the operator is running');
    // The wrong-types Agent's reconciles fail on the refused status write ('Reconciler error', retried); nothing else may.
    const failures = op.logs().filter((l) => l['level'] === 'error' && l['msg'] !== 'Reconciler error');
    assert.deepEqual(failures, [], 'no index function, handler or mapper failed');
  });

});


// hack/cluster's guarantees: two clusters side by side are independent, `up`
// refuses a folder whose cluster still runs, `down` leaves no process and no
// port behind, and a cluster whose owner process dies is downed by its watchdog.
// Starts its own clusters, whatever cluster the rest of the suite uses.
// One of the two is up with --node-lifecycle and also hosts the node-loss
// scenario (issue 11): it needs a cluster of its own (a node that stops
// heartbeating evicts pods) and this file already starts one, so it costs
// no extra control plane.
// e2e: runs alone (starts two more control planes, which starve the shared one on 2 cores)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterAt, repoRoot, run } from '../support/cluster.ts';
import { eventually } from '../support/wait.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { testNamespace } from '../support/namespace.ts';
import { agentEvents, agentPods, createAgent, getAgent, podReady, waitReady } from '../support/agents.ts';
import { auditWrites } from '../support/audit.ts';
import { startNode, stopNode } from '../support/node-loss.ts';
import type { Cluster } from '../support/cluster.ts';

const script = join(repoRoot, 'hack/cluster');
const parent = mkdtempSync(join(tmpdir(), 'agent-operator-cluster-script-'));
const UP_TIMEOUT = 45 * 60_000; // a first run builds the binaries

const dirs: string[] = [];
/** What the node-loss scenario's operator and namespace leave to stop before `down`. */
const teardown: Array<() => unknown> = [];
after(async () => {
  for (const fn of teardown.reverse()) await Promise.resolve().then(fn).catch(() => {});
  // whatever happened above, nothing stays running
  await Promise.all(dirs.map((d) => run(script, ['down', '--dir', d])));
  rmSync(parent, { recursive: true, force: true });
}, { timeout: 120_000 });

interface Started { dir: string; env: Record<string, string>; pids: number[]; ports: number[] }

async function up(name: string, ownerPid = process.pid, extra: string[] = ['--nodes', '1']): Promise<Started> {
  const dir = join(parent, name);
  dirs.push(dir);
  const r = await run(script, ['up', '--dir', dir, '--addons', 'none', '--owner-pid', String(ownerPid), ...extra]);
  assert.equal(r.code, 0, `hack/cluster up --dir ${dir} failed:\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`export KUBECONFIG=${dir}/kubeconfig`));
  const env = Object.fromEntries(
    readFileSync(join(dir, 'cluster.env'), 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const pids = readdirSync(join(dir, 'pids')).map((f) => Number(readFileSync(join(dir, 'pids', f), 'utf8').trim()));
  const ports = ['ETCD_PORT', 'ETCD_PEER_PORT', 'APISERVER_PORT', 'KCM_PORT', 'SCHEDULER_PORT', 'KWOK_PORT'].map((k) => Number(env[k]));
  return { dir, env, pids, ports };
}

const kubectl = (c: Started, args: string[]) => run(join(c.env.BIN_DIR!, 'kubectl'), ['--kubeconfig', join(c.dir, 'kubeconfig'), ...args]);

/** Alive and not a zombie (a zombie has exited; only its exit status is left). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

let a: Started;
let b: Started;

test('two clusters started at once are independent', { timeout: UP_TIMEOUT }, async () => {
  [a, b] = await Promise.all([up('a'), up('b', process.pid, ['--nodes', '2', '--node-lifecycle'])]);

  const ports = [...a.ports, ...b.ports];
  assert.ok(ports.every((p) => Number.isInteger(p) && p > 0), `ports ${ports}`);
  assert.equal(new Set(ports).size, ports.length, `ports overlap: ${ports}`);
  assert.equal(a.pids.length, 6, 'five components and the watchdog');
  for (const pid of [...a.pids, ...b.pids]) assert.ok(alive(pid), `pid ${pid} runs`);

  for (const c of [a, b]) {
    const status = await run(script, ['status', '--dir', c.dir]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /kube-apiserver\s+up/);
    const env = await run(script, ['env', '--dir', c.dir]);
    assert.match(env.stdout, new RegExp(`^export KUBECONFIG=${c.dir}/kubeconfig$`, 'm'));
    assert.match(env.stdout, /^export PATH=.*:"\$PATH"$/m);
  }

  const created = await kubectl(a, ['create', 'namespace', 'only-in-a']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await kubectl(a, ['get', 'namespace', 'only-in-a'])).code, 0);
  const inB = await kubectl(b, ['get', 'namespace', 'only-in-a']);
  assert.notEqual(inB.code, 0);
  assert.match(inB.stderr, /NotFound/);

  const version = await kubectl(a, ['version', '-o', 'json']);
  const v = JSON.parse(version.stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
  const pinned = /^KUBERNETES_VERSION=(\S+)$/m.exec(readFileSync(join(repoRoot, 'hack/tools/versions.env'), 'utf8'))?.[1];
  assert.equal(v.serverVersion.gitVersion, pinned, 'the server reports the pinned release, not v0.0.0-master');
  assert.equal(v.clientVersion.gitVersion, v.serverVersion.gitVersion);

  const again = await run(script, ['up', '--dir', a.dir]);
  assert.notEqual(again.code, 0, 'a second up on a running cluster must refuse');
  assert.match(again.stderr, /already running/);
});

// The agents of the node-loss scenario: the Deployment's pod is evicted 5 s
// after the node is marked lost; the StatefulSet's and the Recreate
// Deployment's (a ReadWriteOnce volume) are never evicted within the test
// (300 s), so the operator's release after 10 s is the only way they go.
const release = { nodeLostSeconds: 300, releaseStatefulPods: 'ForceDelete', nodeGoneSeconds: 10 };
const nodeLossAgents = {
  fwd: { image: 'example.com/fwd:1', failover: { nodeLostSeconds: 5 } },
  wal: { mode: 'StatefulSet', image: 'example.com/wal:1', failover: release },
  vol: { image: 'example.com/vol:1', storage: { size: '1Gi' }, failover: release },
};
const nodeLossNames = Object.keys(nodeLossAgents);

/** vol's claim binds to this volume (cluster b has no storage addon): no node affinity, so the replacement may run on the other node. */
const volPV = (ns: string) => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${ns}-vol` }, spec: {
  capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete',
  claimRef: { namespace: ns, name: 'vol-state' }, hostPath: { path: `/tmp/${ns}-vol` },
} });

test('a lost node (cluster b, --node-lifecycle): NodeLost names it in status and a Warning, the operator restarts nothing for it, the Deployment replica and the released StatefulSet and Recreate Deployment replicas come back Ready on the other node', { timeout: 300_000 }, async () => {
  const c: Cluster = clusterAt(b.dir, teardown);
  await installCRD(c);
  const ns = await testNamespace(c, 'node-loss');
  await startOperator(c, { namespaces: [ns] });
  // Both replicas on one node: the other is cordoned until they run.
  const [lose, keep] = ['kwok-node-0', 'kwok-node-1'];
  assert.equal((await c.kubectl(['cordon', keep])).code, 0);
  assert.equal((await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(volPV(ns)) })).code, 0);
  teardown.push(() => c.kubectl(['delete', 'pv', `${ns}-vol`, '--wait=false']));
  await Promise.all(Object.entries(nodeLossAgents).map(([name, spec]) => createAgent(c, ns, name, spec)));
  await Promise.all(nodeLossNames.map((name) => waitReady(c, ns, name, 120_000)));
  const before = (await Promise.all(nodeLossNames.map((name) => agentPods(c, ns, name)))).flat();
  assert.deepEqual(before.map((p) => p.spec?.nodeName), [lose, lose, lose]);
  assert.equal((await c.kubectl(['uncordon', keep])).code, 0);

  // A pod that tolerates the lost node for ever: never evicted, only marked not Ready; Ready again once the node is back.
  const stays = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stays', namespace: ns }, spec: {
    nodeName: lose, containers: [{ name: 'c', image: 'registry.example/stays:1' }],
    tolerations: ['unreachable', 'not-ready'].map((t) => ({ key: `node.kubernetes.io/${t}`, operator: 'Exists', effect: 'NoExecute' })),
  } };
  assert.equal((await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(stays) })).code, 0);
  const staysReady = async () => podReady((JSON.parse((await c.kubectl(['get', 'pod', 'stays', '-n', ns, '-o', 'json'])).stdout)));
  await eventually(staysReady, { timeoutMs: 60_000, intervalMs: 500, message: 'pod stays Ready on the node to lose' });

  const since = new Date();
  const stoppedAt = performance.now();
  await stopNode(c, lose);
  const seen: Record<string, string> = {};
  const recovered = await eventually(async () => {
    for (const name of nodeLossNames) {
      const last = (await getAgent(c, ns, name)).status?.lastFailure;
      if (last?.reason === 'NodeLost') seen[name] ??= last.message ?? '';
    }
    const ready = await Promise.all(nodeLossNames.map(async (name) => (await agentPods(c, ns, name)).some((p) => p.spec?.nodeName === keep && podReady(p))));
    return ready.every(Boolean) && Object.keys(seen).length === nodeLossNames.length && (performance.now() - stoppedAt) / 1000;
  }, { timeoutMs: 240_000, intervalMs: 500, message: 'NodeLost reported on every Agent and a replacement of each Ready on the other node' });
  console.log(`node stopped -> every replica Ready on ${keep} after ${recovered.toFixed(1)} s`);
  for (const name of nodeLossNames) assert.match(seen[name]!, new RegExp(`node ${lose} `), `${name}: status.lastFailure names the node`);
  await Promise.all(nodeLossNames.map((name) => waitReady(c, ns, name)));

  for (const name of nodeLossNames) {
    const events = await agentEvents(c, ns, name);
    const lost = events.filter((e) => e.reason === 'NodeLost');
    assert.ok(lost.some((e) => e.type === 'Warning' && (e.message ?? '').includes(`node ${lose} `)), `${name}: a Warning NodeLost naming ${lose}: ${JSON.stringify(events.map((e) => [e.reason, e.message]))}`);
    assert.ok(!events.some((e) => e.reason === 'RestartedPod' || e.reason === 'RecoveryExhausted'), `${name}: the restart policy never acted on a lost node`);
  }
  const podDeletes = (await auditWrites(c, { since, namespace: ns, resource: 'pods', verbs: ['delete'] }))?.map((e) => `${e.user.username} (${e.userAgent?.split(' ')[0]}) ${e.objectRef?.name} ${e.responseStatus?.code}`);
  console.log(`pod deletes since the stop:\n  ${podDeletes?.join('\n  ')}`);
  const volPod = before.find((p) => p.metadata?.name?.startsWith('vol-'))?.metadata?.name ?? '';
  for (const [name, pod] of [['wal', 'wal-0'], ['vol', volPod]] as const) {
    const released = (await agentEvents(c, ns, name)).find((e) => e.reason === 'StatefulPodReleased');
    assert.match(released?.message ?? '', new RegExp(`force-deleted pod ${pod}: node ${lose} has been lost`), `${name}: released`);
  }
  // The audit log: the operator deleted exactly the StatefulSet's and the Recreate Deployment's pods, and no pod of the rolling Deployment (Kubernetes evicted that one).
  // A second attempt from a cache that has not yet seen the deletion is refused by the uid precondition (409): it kills nothing.
  const deletes = (await auditWrites(c, { userAgent: 'agent-operator', since, namespace: ns, resource: 'pods', verbs: ['delete'] })) ?? [];
  const code = (e: (typeof deletes)[number]) => e.responseStatus?.code ?? 0;
  assert.deepEqual(deletes.filter((e) => code(e) < 300).map((e) => e.objectRef?.name).sort(), [volPod, 'wal-0'].sort(), 'the operator released wal-0 and the vol pod and deleted nothing else');
  for (const e of deletes.filter((d) => code(d) >= 300)) assert.ok([volPod, 'wal-0'].includes(e.objectRef?.name ?? '') && code(e) === 409, `only a refused repeat of a release: ${e.objectRef?.name} ${code(e)}`);

  // The node comes back: the pod it kept (marked not Ready by the node lifecycle controller) is Ready again, as a returning kubelet reports it.
  assert.equal(await staysReady(), false, 'the lost node\'s pod is marked not Ready');
  await startNode(c, lose);
  await eventually(staysReady, { timeoutMs: 60_000, intervalMs: 500, message: 'pod stays Ready again after node-start' });
});

test('down leaves no process and no port behind', { timeout: 120_000 }, async () => {
  for (const fn of teardown.splice(0).reverse()) await fn();
  const ports = [...a.ports, ...b.ports];
  const downs = await Promise.all([a, b].map((c) => run(script, ['down', '--dir', c.dir])));
  for (const d of downs) assert.equal(d.code, 0, d.stderr);
  for (const c of [a, b]) assert.ok(!existsSync(c.dir), `${c.dir} removed`);
  for (const pid of [...a.pids, ...b.pids]) assert.ok(!alive(pid), `pid ${pid} is gone`);
  for (const port of ports) assert.ok(await portFree(port), `port ${port} is free`);

  const downAgain = await run(script, ['down', '--dir', a.dir]);
  assert.equal(downAgain.code, 0);
  assert.match(downAgain.stdout, /no cluster/);
});

test('the watchdog downs a cluster once its owner process is gone', { timeout: UP_TIMEOUT }, async () => {
  const owner = spawn('sleep', ['3600'], { stdio: 'ignore' });
  const c = await up('owned', owner.pid);
  for (const pid of c.pids) assert.ok(alive(pid));
  owner.kill('SIGKILL');
  await eventually(() => !existsSync(c.dir) && c.pids.every((pid) => !alive(pid)), {
    timeoutMs: 60_000,
    message: 'cluster downed by its watchdog',
  });
  for (const port of c.ports) assert.ok(await portFree(port), `port ${port} is free`);
});

// hack/cluster's guarantees: two clusters side by side are independent, `up`
// refuses a folder whose cluster still runs, `down` leaves no process and no
// port behind, and a cluster whose owner process dies is downed by its watchdog.
// Starts its own clusters, whatever cluster the rest of the suite uses.
// e2e: runs alone (starts two more control planes, which starve the shared one on 2 cores)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run } from '../support/cluster.ts';
import { eventually } from '../support/wait.ts';

const script = join(repoRoot, 'hack/cluster');
const parent = mkdtempSync(join(tmpdir(), 'agent-operator-cluster-script-'));
const UP_TIMEOUT = 45 * 60_000; // a first run builds the binaries

const dirs: string[] = [];
after(async () => {
  // whatever happened above, nothing stays running
  await Promise.all(dirs.map((d) => run(script, ['down', '--dir', d])));
  rmSync(parent, { recursive: true, force: true });
}, { timeout: 120_000 });

interface Started { dir: string; env: Record<string, string>; pids: number[]; ports: number[] }

async function up(name: string, ownerPid = process.pid): Promise<Started> {
  const dir = join(parent, name);
  dirs.push(dir);
  const r = await run(script, ['up', '--dir', dir, '--nodes', '1', '--addons', 'none', '--owner-pid', String(ownerPid)]);
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

test('two clusters started at once are independent, and down leaves no process and no port behind', { timeout: UP_TIMEOUT }, async () => {
  const [a, b] = await Promise.all([up('a'), up('b')]);

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

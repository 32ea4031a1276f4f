// The real node's promise to the machine it runs on: `hack/cluster up
// --real-node` starts cleanly over what a killed node left behind (CI runs
// right after a session's processes are killed, on the same machine), and
// `down` leaves no process, mount, cgroup, network namespace, bridge, port or
// iptables chain behind. Runs before the shared e2e cluster comes up (one real
// node per machine), from hack/test.ts; skips where the node cannot run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run } from '../support/cluster.ts';
import { eventually } from '../support/wait.ts';

const script = join(repoRoot, 'hack/cluster');
const parent = mkdtempSync(join(tmpdir(), 'agent-operator-real-node-'));
const check = await run(join(repoRoot, 'hack/real-node'), ['check']);
const skip = check.code === 0 ? false : `this machine cannot run a real node: ${(check.stdout + check.stderr).trim()}`;

after(async () => {
  for (const d of readdirSync(parent)) await run(script, ['down', '--dir', join(parent, d)]);
  rmSync(parent, { recursive: true, force: true });
}, { timeout: 180_000 });

/** What a real node can leave on the host, each as a list of things found. */
function leftovers(dirs: string[]): Record<string, string[]> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter(Boolean);
  const cmdlines = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      return [`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`];
    } catch {
      return [];
    }
  });
  // stdout whatever the exit code: an ls of globs that partly match still lists the matches
  const sh = (cmd: string) => spawnSync('bash', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
  const lines = (s: string) => s.split('\n').filter(Boolean);
  return {
    processes: cmdlines.filter((c) => dirs.some((d) => c.includes(`${d}/`)) || /containerd-shim-runc-v2 .*real-node/.test(c)),
    mounts: mounts.filter((m) => dirs.some((d) => m.startsWith(`${d}/`)) || m.startsWith('/run/netns/cni-') || m.startsWith('/var/lib/kubelet')),
    cgroups: lines(sh('ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods 2>/dev/null')),
    netns: lines(sh('ls /run/netns 2>/dev/null | grep ^cni-')),
    bridge: lines(sh('ip -o link show aonode0 2>/dev/null')),
    ports: lines(sh("ss -Hltn '( sport = :10250 or sport = :10248 )'")),
    iptables: lines(sh("iptables -t nat -S 2>/dev/null | grep '^-N KUBE-'")),
    hostPaths: ['/var/lib/kubelet', '/var/log/containers', '/run/containerd/s'].filter((p) => existsSync(p)),
  };
}

async function upRealNode(name: string): Promise<{ dir: string; kubectl: (args: string[], input?: string) => ReturnType<typeof run> }> {
  const dir = join(parent, name);
  const r = await run(script, ['up', '--dir', dir, '--nodes', '1', '--addons', 'none', '--real-node']);
  assert.equal(r.code, 0, `hack/cluster up --real-node failed:\n${r.stderr.slice(-4000)}`);
  const binDir = /^BIN_DIR=(.*)$/m.exec(readFileSync(join(dir, 'cluster.env'), 'utf8'))![1]!;
  return { dir, kubectl: (args, input) => run(join(binDir, 'kubectl'), ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { input }) };
}

/** A pod on the real node with what makes mounts: a Secret volume (tmpfs) and a local PV. */
function podManifest(dir: string, name: string): string {
  const pause = /sandbox_image = "(.*)"/.exec(readFileSync(join(dir, 'real-node/containerd/config.toml'), 'utf8'))![1]!;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, stringData: { k: 'v' } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' },
        spec: { storageClassName: 'real-node', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: {
        nodeSelector: { 'kubernetes.io/hostname': 'real-node' },
        tolerations: [{ key: 'agent-operator.dev/real-node', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [{ name: 'c', image: pause, imagePullPolicy: 'Never',
          volumeMounts: [{ name: 's', mountPath: '/s' }, { name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 's', secret: { secretName: 's' } }, { name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      } },
    ],
  });
}

async function runPod(c: Awaited<ReturnType<typeof upRealNode>>, name: string): Promise<void> {
  const applied = await c.kubectl(['apply', '-f', '-'], podManifest(c.dir, name));
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await c.kubectl(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=120s']);
  assert.equal(waited.code, 0, `pod ${name} Ready on the real node: ${waited.stderr}\n${(await c.kubectl(['describe', 'pod', name])).stdout}`);
}

test('up --real-node starts over what a killed real node left, and down leaves nothing behind', { skip, timeout: 15 * 60_000 }, async () => {
  const first = await upRealNode('killed');
  await runPod(first, 'before-kill');
  const running = leftovers([first.dir]);
  // the checks below can fail: a running node has every kind of leftover
  for (const kind of ['processes', 'mounts', 'cgroups', 'netns', 'bridge', 'ports'] as const) {
    assert.ok(running[kind]!.length > 0, `a running real node shows ${kind}`);
  }

  // what a session's end does: every process killed, no `down`
  for (const f of readdirSync(join(first.dir, 'pids'))) {
    const pid = Number(readFileSync(join(first.dir, 'pids', f), 'utf8'));
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  await eventually(() => leftovers([first.dir]).ports!.length === 0, { timeoutMs: 30_000, message: 'the killed kubelet released its ports' });
  const dead = leftovers([first.dir]);
  assert.ok(dead.mounts!.length > 0 && dead.cgroups!.length > 0, 'a killed node leaves mounts and cgroups (else this test proves nothing)');

  const second = await upRealNode('after-kill');
  await runPod(second, 'after-kill');
  const down = await run(script, ['down', '--dir', second.dir]);
  assert.equal(down.code, 0, down.stderr);
  rmSync(first.dir, { recursive: true, force: true });

  const left = leftovers([first.dir, second.dir]);
  assert.deepEqual(left, {
    processes: [], mounts: [], cgroups: [], netns: [], bridge: [], ports: [], iptables: [], hostPaths: [],
  });
});

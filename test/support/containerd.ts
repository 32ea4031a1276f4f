// A throwaway containerd of the test's own: root, state, socket, runc root,
// FIFOs and cgroups all under names of its own, so it never meets the
// machine's /run/containerd/containerd.sock, /var/lib/containerd or a real
// node's containerd, and stop() removes every trace (processes, mounts,
// directories, cgroups). It runs images with `ctr run`, without the CRI
// plugin: what is under test is the images, not the kubelet's path to them.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type KubectlResult } from './cluster.ts';
import { eventually } from './wait.ts';

export type RunResult = KubectlResult;

export interface RunOptions {
  /** replaces the image's entrypoint and cmd (ctr run semantics) */
  args?: string[];
  env?: Record<string, string>;
  /** bind mounts: host directory -> container path */
  mounts?: { source: string; destination: string; readOnly?: boolean }[];
  readOnlyRoot?: boolean;
  /** the host's network namespace, so a test reaches the container on 127.0.0.1 */
  hostNetwork?: boolean;
  memoryLimitBytes?: number;
  timeoutMs?: number;
}

export interface Started {
  id: string;
  exited: Promise<RunResult>;
}

/** Why containerd cannot run here, or undefined when it can. */
export function containerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: containerd and runc need root';
  for (const bin of ['containerd', 'ctr', 'runc']) {
    const found = (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, bin)));
    if (!found) return `${bin} is not installed (apt-get install --no-install-recommends containerd runc)`;
  }
  if (!existsSync('/sys/fs/cgroup/memory') && !existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'no memory cgroup under /sys/fs/cgroup';
  return undefined;
}

export class Containerd {
  readonly dir = mkdtempSync(join(tmpdir(), 'agent-operator-containerd-'));
  readonly socket = join(this.dir, 'containerd.sock');
  /** a cgroup parent of this process's own, removed by stop() */
  readonly cgroupParent = `agent-operator-images-${process.pid}`;
  #process: ChildProcess | undefined;
  #seq = 0;
  // runc's shim puts its sockets in /run/containerd/s whatever the config says
  #hadRunContainerd = existsSync('/run/containerd');

  async start(): Promise<void> {
    writeFileSync(
      join(this.dir, 'config.toml'),
      [
        'version = 2',
        `root = "${this.dir}/root"`,
        `state = "${this.dir}/state"`,
        // no kubelet talks to this one; CRI would also open a streaming port and read /etc/cni
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${this.socket}"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${this.dir}/opt"`, // else /opt/containerd
        '',
      ].join('\n'),
    );
    const child = spawn('containerd', ['--config', join(this.dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#process = child;
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`containerd exited (${child.exitCode}):\n${log}`);
      const r = await this.ctr(['version'], 5_000);
      if (r.code !== 0) throw new Error(r.stderr);
    }, { timeoutMs: 30_000, message: 'the throwaway containerd answers' });
  }

  ctr(args: string[], timeoutMs = 120_000): Promise<RunResult> {
    return run('ctr', ['--address', this.socket, '--namespace', 'k8s.io', ...args], { timeoutMs });
  }

  async import(tar: string): Promise<void> {
    const r = await this.ctr(['images', 'import', tar]);
    if (r.code !== 0) throw new Error(`ctr images import ${tar} failed (exit ${r.code}):\n${r.stderr}`);
  }

  /** Starts a container; `exited` resolves with its exit code and output (the container is removed). */
  startContainer(image: string, options: RunOptions = {}): Started {
    const id = `aoimg-${process.pid}-${++this.#seq}`;
    const args = ['run', '--rm', '--cgroup', `/${this.cgroupParent}/${id}`, '--runc-root', join(this.dir, 'runc'), '--fifo-dir', join(this.dir, 'fifo')];
    if (options.readOnlyRoot) args.push('--read-only');
    if (options.hostNetwork) args.push('--net-host');
    if (options.memoryLimitBytes) args.push('--memory-limit', String(options.memoryLimitBytes));
    for (const [k, v] of Object.entries(options.env ?? {})) args.push('--env', `${k}=${v}`);
    for (const m of options.mounts ?? []) {
      args.push('--mount', `type=bind,src=${m.source},dst=${m.destination},options=rbind:${m.readOnly ? 'ro' : 'rw'}`);
    }
    args.push(image, id, ...(options.args ?? []));
    return { id, exited: this.ctr(args, options.timeoutMs ?? 120_000) };
  }

  /** Runs a container to its end. */
  runContainer(image: string, options: RunOptions = {}): Promise<RunResult> {
    return this.startContainer(image, options).exited;
  }

  /** The host pid of a running container's process. */
  async pid(id: string): Promise<number> {
    return eventually(async () => {
      const r = await this.ctr(['task', 'ls']);
      const line = r.stdout.split('\n').find((l) => l.startsWith(`${id} `) && l.includes('RUNNING'));
      return line ? Number(line.trim().split(/\s+/)[1]) : false;
    }, { timeoutMs: 30_000, message: `container ${id} is running` });
  }

  async signal(id: string, signal = 'SIGTERM'): Promise<void> {
    const r = await this.ctr(['task', 'kill', '--signal', signal, id]);
    if (r.code !== 0) throw new Error(`ctr task kill ${id} failed:\n${r.stderr}`);
  }

  /** Stops containerd and removes everything it and its containers left; safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (child && child.exitCode === null && child.signalCode === null) {
      // a test that failed halfway may leave a container running
      const tasks = await this.ctr(['task', 'ls', '-q'], 10_000);
      for (const id of tasks.stdout.split('\n').filter(Boolean)) {
        await this.ctr(['task', 'kill', '--signal', 'SIGKILL', id], 10_000);
        await this.ctr(['task', 'delete', '--force', id], 10_000);
        await this.ctr(['container', 'delete', id], 10_000);
      }
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if ((await Promise.race([gone, sleep(10_000, 'timeout')])) === 'timeout') {
        child.kill('SIGKILL');
        await gone;
      }
    }
    for (const mount of this.mounts().reverse()) await run('umount', ['-l', mount]);
    rmSync(this.dir, { recursive: true, force: true });
    for (const cgroup of this.cgroups()) rmdirSync(cgroup);
    if (!this.#hadRunContainerd) {
      // only when empty: a real node's containerd started meanwhile keeps its sockets
      for (const d of ['/run/containerd/s', '/run/containerd']) {
        try {
          rmdirSync(d);
        } catch {
          // not empty or already gone: not ours to remove
        }
      }
    }
  }

  /** Mount points under this containerd's directory, outermost first. */
  mounts(): string[] {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point === this.dir || point.startsWith(`${this.dir}/`));
  }

  /** This containerd's cgroup directories, in every hierarchy (cgroup v1) or the unified one. */
  cgroups(): string[] {
    const roots = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c));
    return roots.map((r) => join(r, this.cgroupParent)).filter((p) => existsSync(p));
  }

  /** Processes whose command line names this containerd's directory (containerd itself, shims). */
  processes(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(this.dir)) pids.push(Number(entry));
      } catch {
        // exited while we looked
      }
    }
    return pids;
  }

  /** A directory under this containerd's folder for a test's bind mounts. */
  volume(name: string, uid = 0): string {
    const dir = join(this.dir, 'volumes', name);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, uid);
    return dir;
  }
}

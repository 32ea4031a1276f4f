// The Kubernetes cluster an e2e test file runs against.
//
//   const cluster = useCluster();      // at the top of a test file
//   test('…', async () => { await cluster().core.listNamespace(); });
//
// Which cluster:
//   E2E_KUBECONFIG=path                that cluster (hack/test.ts sets it to the
//                                      control plane it started for the run)
//   E2E_USE_KUBECONFIG=1               $KUBECONFIG (or ~/.kube/config), e.g. kind
//   neither, or useCluster({ private: true })
//                                      a private local control plane for this file:
//                                      `hack/cluster up` in a before hook, `down` in
//                                      an after hook, even when tests fail; a
//                                      watchdog downs it if this process dies first.
// `private: true` is for files that stop, freeze or restart control-plane
// components (the fault suite): they always get a cluster of their own, also in
// the full run, so no other file ever sees their faults.
// The suite runs unchanged on any of them; what only the local control plane
// has (audit log, fault stages) is flagged by `clusterDir`.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';

export const repoRoot = resolve(import.meta.dirname, '../..');
const hackCluster = join(repoRoot, 'hack/cluster');

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** exit code; -1 when kubectl was killed after timeoutMs */
  code: number;
}

export interface Cluster {
  kubeconfigPath: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  /** folder of the Go-built tools (kubectl, helm, …) from hack/build-tools */
  binDir: string;
  /** hack/cluster's folder (logs, audit log) when this is a local control plane; else undefined */
  clusterDir: string | undefined;
  /** where the cluster came from, for skip messages */
  source: 'private' | 'E2E_KUBECONFIG' | 'KUBECONFIG';
  /** runs kubectl against this cluster; never rejects on a non-zero exit */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** runs fn in the file's after hook (before a private cluster goes down) */
  onTeardown(fn: () => unknown): void;
}

export interface UseClusterOptions {
  /** fake nodes of a private cluster (default 3) */
  nodes?: number;
  /** a private cluster also gets the real node, where this machine can run it (hack/real-node check) */
  realNode?: boolean;
  /** always a private local control plane, whatever E2E_KUBECONFIG / E2E_USE_KUBECONFIG say */
  private?: boolean;
  /**
   * the node lifecycle and taint eviction controllers run (hack/cluster up
   * --node-lifecycle): a stopped node is marked lost and its pods evicted.
   * Only with private: a late heartbeat under load must not evict the pods
   * of every file sharing a cluster.
   */
  nodeLifecycle?: boolean;
}

/** Registers before/after hooks for the enclosing file or suite; the returned function gives the cluster inside tests and hooks. */
export function useCluster(options: UseClusterOptions = {}): () => Cluster {
  let current: Cluster | undefined;
  let privateParent: string | undefined;
  const teardown: Array<() => unknown> = [];

  before(async () => {
    if (options.nodeLifecycle && !options.private) throw new Error('useCluster({ nodeLifecycle: true }) needs private: true');
    const external = options.private ? undefined : externalKubeconfig();
    if (external) {
      current = connect(external.path, external.source, teardown);
      return;
    }
    privateParent = mkdtempSync(join(tmpdir(), 'agent-operator-e2e-'));
    const dir = join(privateParent, 'cluster');
    const args = ['up', '--dir', dir, '--nodes', String(options.nodes ?? 3), '--owner-pid', String(process.pid)];
    if (options.nodeLifecycle) args.push('--node-lifecycle');
    if (options.realNode) {
      const check = await run(join(repoRoot, 'hack/real-node'), ['check']);
      if (check.code === 0) args.push('--real-node');
      else process.env.E2E_REAL_NODE_SKIP = (check.stdout + check.stderr).trim();
    }
    const up = await run(hackCluster, args, { echo: true });
    if (up.code !== 0) {
      throw new Error(`hack/cluster up failed (exit ${up.code}); component logs are in ${dir}/logs\n${tail(up.stderr + up.stdout, 60)}`);
    }
    current = connect(join(dir, 'kubeconfig'), 'private', teardown, dir);
  }, { timeout: 45 * 60_000 }); // a first run builds the binaries: many minutes

  after(async () => {
    const errors: unknown[] = [];
    for (const fn of teardown.reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (privateParent) {
      const dir = join(privateParent, 'cluster');
      const down = await run(hackCluster, ['down', '--dir', dir]);
      if (down.code !== 0) throw new Error(`hack/cluster down failed (exit ${down.code}):\n${tail(down.stderr + down.stdout, 40)}`);
      rmSync(privateParent, { recursive: true, force: true });
    }
    if (errors.length) throw new AggregateError(errors, 'e2e teardown failed');
  }, { timeout: 5 * 60_000 });

  return () => {
    if (!current) throw new Error('useCluster(): the cluster is not there yet; use cluster() inside tests and hooks, not at module level');
    return current;
  };
}

/**
 * A Cluster for a control plane a test started itself with hack/cluster up
 * --dir DIR (test/e2e/cluster-script.test.ts): what useCluster() hands out,
 * with onTeardown's steps collected in `teardown` for the test to run before
 * its own `down`.
 */
export function clusterAt(dir: string, teardown: Array<() => unknown>): Cluster {
  return connect(join(dir, 'kubeconfig'), 'private', teardown, dir);
}

function externalKubeconfig(): { path: string; source: 'E2E_KUBECONFIG' | 'KUBECONFIG' } | undefined {
  if (process.env.E2E_KUBECONFIG) return { path: process.env.E2E_KUBECONFIG, source: 'E2E_KUBECONFIG' };
  if (process.env.E2E_USE_KUBECONFIG === '1') {
    return { path: process.env.KUBECONFIG || join(homedir(), '.kube', 'config'), source: 'KUBECONFIG' };
  }
  return undefined;
}

function connect(kubeconfigPath: string, source: Cluster['source'], teardown: Array<() => unknown>, privateDir?: string): Cluster {
  const kc = new KubeConfig();
  const paths = kubeconfigPath.split(delimiter).filter(Boolean);
  if (paths.length === 1 && paths[0]) kc.loadFromFile(paths[0]);
  else {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfigPath;
    kc.loadFromDefault();
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
  const binDir = buildToolsBinDir();
  const kubectlBin = existsSync(join(binDir, 'kubectl')) ? join(binDir, 'kubectl') : 'kubectl';
  return {
    kubeconfigPath,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
    binDir,
    clusterDir: privateDir ?? localClusterDir(kubeconfigPath),
    source,
    kubectl: (args, opts = {}) =>
      run(kubectlBin, args, { env: { ...process.env, KUBECONFIG: kubeconfigPath }, input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 }),
    onTeardown: (fn) => teardown.push(fn),
  };
}

/** hack/cluster marks its folder; the kubeconfig it writes sits in that folder. */
function localClusterDir(kubeconfigPath: string): string | undefined {
  const candidates = [process.env.E2E_CLUSTER_DIR, dirname(kubeconfigPath)];
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, '.hack-cluster')) && resolve(join(dir, 'kubeconfig')) === resolve(kubeconfigPath)) return dir;
  }
  return undefined;
}

function buildToolsBinDir(): string {
  return execFileSync(join(repoRoot, 'hack/build-tools'), ['--print'], { encoding: 'utf8' }).trim();
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string | undefined;
  timeoutMs?: number;
  /** copy stderr to ours as it comes (progress of a long `up`) */
  echo?: boolean;
}

/** Runs a program, collecting its output; resolves with the exit code instead of rejecting. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<KubectlResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolvePromise({ stdout, stderr: `${stderr}${err.message}\n`, code: 127 });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n(killed after ${options.timeoutMs}ms)`;
      resolvePromise({ stdout, stderr, code: timedOut ? -1 : (code ?? -1) });
    });
    child.stdin.end(options.input ?? '');
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// The bench's own local control plane (hack/cluster), or the one BENCH_KUBECONFIG names.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.ts';
import type { Kube } from './kube.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
const hackCluster = join(repoRoot, 'hack/cluster');

export interface BenchCluster {
  kubeconfig: string;
  /** hack/cluster's DIR when the bench started the cluster. */
  dir?: string;
  /** Seconds `hack/cluster up` took. */
  upSeconds?: number;
}

/** Fake nodes for n pods: 110 pods fit on one (hack/cluster's node allocatable); keep ~10 % spare. */
export function nodesFor(pods: number): number {
  return Math.min(200, Math.max(3, Math.ceil((pods * 1.1) / 110)));
}

function run(cmd: string, args: string[], log: (line: string) => void): Promise<number> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer) => {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') log(l);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (err) => { log(err.message); done(127); });
    child.on('close', (code) => done(code ?? 1));
  });
}

/**
 * `addons`: hack/cluster's folder of manifests to apply, or none (the default: the Deployment benches need no storage); realNode: also the real node (hack/cluster up --real-node: root, one per machine);
 * nodeLifecycle: the node lifecycle and taint eviction controllers (hack/cluster up --node-lifecycle), for losing a node.
 */
export async function startCluster(dir: string, nodes: number, log: (line: string) => void, o: { addons?: string; realNode?: boolean; nodeLifecycle?: boolean } = {}): Promise<BenchCluster> {
  const started = performance.now();
  // Registered before `up` returns: a Ctrl-C during `up` still downs what it started.
  onCleanup(`hack/cluster down --dir ${dir}`, () => run(hackCluster, ['down', '--dir', dir], log));
  const code = await run(hackCluster, ['up', '--dir', dir, '--nodes', String(nodes), '--owner-pid', String(process.pid), '--addons', o.addons ?? 'none', ...(o.realNode ? ['--real-node'] : []), ...(o.nodeLifecycle ? ['--node-lifecycle'] : [])], log);
  if (code !== 0) throw new Error(`hack/cluster up failed (exit ${code}); logs in ${dir}/logs`);
  return { kubeconfig: join(dir, 'kubeconfig'), dir, upSeconds: (performance.now() - started) / 1000 };
}

/** hack/cluster ARGS (e.g. node-stop --dir DIR NODE), its output to log; throws on failure. */
export async function clusterCommand(args: string[], log: (line: string) => void): Promise<void> {
  const code = await run(hackCluster, args, log);
  if (code !== 0) throw new Error(`hack/cluster ${args.join(' ')} failed (exit ${code})`);
}

/** The stdout of one of the repo's hack scripts (e.g. hack/build-images --print). */
export function hackOutput(script: string, args: string[]): Promise<string> {
  return new Promise<string>((done, fail) => {
    const child = spawn(join(repoRoot, 'hack', script), args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => (code === 0 ? done(out.trim()) : fail(new Error(`hack/${script} ${args.join(' ')} failed (exit ${code})`))));
  });
}

/** kubectl from hack/build-tools' cache, for applying the CRD. */
export async function kubectl(kubeconfig: string, args: string[], log: (line: string) => void): Promise<void> {
  const bin = join(await hackOutput('build-tools', ['--print']), 'kubectl');
  const code = await run(bin, ['--kubeconfig', kubeconfig, ...args], log);
  if (code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${code})`);
}

/**
 * Applies the Agent CRD and waits until it is Established, polled rather than
 * `kubectl wait`, which fails when it looks before the CRD has any status.
 */
export async function installCRD(kubeconfig: string, kube: Kube, log: (line: string) => void): Promise<void> {
  await kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds/agent-operator.dev_agents.yaml')], log);
  for (let i = 0; ; i++) {
    const crd = await kube.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/agents.agent-operator.dev');
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (i > 300) throw new Error('the Agent CRD was not Established within 60 s');
    await sleep(200);
  }
}

/** A new namespace takes pods only once its default ServiceAccount exists (the controller-manager creates it a moment later). */
export async function defaultServiceAccount(kube: Kube, ns: string): Promise<void> {
  for (let i = 0; !(await kube.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`).then(() => true, () => false)); i++) {
    if (i > 300) throw new Error(`no default ServiceAccount in ${ns} after 60 s`);
    await sleep(200);
  }
}

// Runs the Helm binary that hack/build-tools builds (the same version CI uses)
// against charts/agent-operator, with Helm's home directories in a throwaway
// folder so a developer's repositories and plugins never leak in.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const root = join(import.meta.dirname, '../../..');
export const chartDir = join(root, 'charts/agent-operator');
export const releaseName = 'agent-operator';
export const releaseNamespace = 'agent-operator';

function helmPath(): string | undefined {
  try {
    const bin = execFileSync(join(root, 'hack/build-tools'), ['--print'], { encoding: 'utf8' }).trim();
    const helm = join(bin, 'helm');
    return existsSync(helm) ? helm : undefined;
  } catch {
    return undefined;
  }
}

export const helm = helmPath();
export const skipWithoutHelm = helm
  ? false
  : 'helm is not built yet: run `make tools` (hack/build-tools builds it into the tool cache)';

let helmEnv: NodeJS.ProcessEnv | undefined;
/** Helm's homes in one temp folder per test process, made on first use and removed on exit (it was left behind, one per run). */
function env(): NodeJS.ProcessEnv {
  if (!helmEnv) {
    const home = mkdtempSync(join(tmpdir(), 'agent-operator-helm-'));
    process.once('exit', () => rmSync(home, { recursive: true, force: true }));
    helmEnv = {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      KUBECONFIG: join(home, 'no-kubeconfig'),
    };
  }
  return helmEnv;
}

/**
 * The Kubernetes version the local control plane runs. `go install` builds
 * Helm without its version ldflags, so its offline default is v1.20, below the
 * chart's kubeVersion; offline commands get the real target instead.
 */
export const kubeVersion = /^KUBERNETES_VERSION=(\S+)$/m.exec(readFileSync(join(root, 'hack/tools/versions.env'), 'utf8'))?.[1] ?? 'v1.36.0';

export interface HelmResult { status: number; stdout: string; stderr: string }

export function runHelm(args: string[]): HelmResult {
  if (!helm) throw new Error('helm is missing');
  const offline = args[0] === 'template' || args[0] === 'lint';
  const r = spawnSync(helm, offline ? [...args, '--kube-version', kubeVersion] : args, { env: env(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** `--set`-style flags from a flat object: { 'crds.install': false } -> ['--set', 'crds.install=false']. */
export function setFlags(values: Record<string, string | number | boolean>): string[] {
  return Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
}

/** helm template with --set values; throws with Helm's stderr when rendering fails. */
export function template(values: Record<string, string | number | boolean> = {}, extraArgs: string[] = []): K8sObject[] {
  const r = runHelm(['template', releaseName, chartDir, '--namespace', releaseNamespace, ...setFlags(values), ...extraArgs]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export function kinds(objects: K8sObject[]): string[] {
  return objects.map((o) => o.kind);
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

// Helm against the e2e cluster: the Helm that hack/build-tools builds, with its
// home folders in a throwaway directory (a developer's repositories, plugins
// and release cache never leak in), plus what the install tests need around
// it: the chart rendered for this cluster's version, an older copy of the chart
// to upgrade from, and a kubeconfig that is the chart's ServiceAccount.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Cluster, KubectlResult } from './cluster.ts';
import { repoRoot, run } from './cluster.ts';
import { eventually } from './wait.ts';
import { scratchDir } from './scratch.ts';
import { serviceAccountToken, writeKubeconfig } from './kubeconfig.ts';

export const chartDir = join(repoRoot, 'charts/agent-operator');
export const crdName = 'agents.agent-operator.dev';

/** One temp folder per test process for Helm's homes, chart copies and kubeconfigs; removed on exit. */
const scratch = () => scratchDir('agent-operator-helm-e2e-');

/** Runs helm against the cluster; never rejects on a non-zero exit. */
export function helm(cluster: Cluster, args: string[], timeoutMs = 120_000): Promise<KubectlResult> {
  const home = scratch();
  const env = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    HELM_CACHE_HOME: join(home, 'helm/cache'),
    HELM_CONFIG_HOME: join(home, 'helm/config'),
    HELM_DATA_HOME: join(home, 'helm/data'),
  };
  return run(join(cluster.binDir, 'helm'), args, { env, timeoutMs });
}

/** helm that must succeed: returns stdout, throws with Helm's own words otherwise. */
export async function helmOk(cluster: Cluster, args: string[], timeoutMs?: number): Promise<string> {
  const r = await helm(cluster, args, timeoutMs);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A release name unique to this run; it contains the chart name, so the chart's full name is the release name. */
export function releaseName(prefix = 'agent-operator'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * The cluster's version, for `helm template`: a Helm built by `go install`
 * lacks its version ldflags and defaults offline to v1.20, below the chart's
 * kubeVersion.
 */
export async function serverVersion(cluster: Cluster): Promise<string> {
  const r = await cluster.kubectl(['version', '-o', 'json']);
  const v = (JSON.parse(r.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion;
  if (!v) throw new Error(`kubectl version gave no server version: ${r.stderr}`);
  return v;
}

/** `helm template` of a chart for this cluster, as one multi-document YAML string. */
export async function renderChart(cluster: Cluster, release: string, namespace: string, values: string[] = [], chart = chartDir): Promise<string> {
  return helmOk(cluster, ['template', release, chart, '-n', namespace, '--kube-version', await serverVersion(cluster), ...values]);
}

/**
 * The Agent CRD is cluster-scoped and shared with the other e2e files, which
 * install it with kubectl. Helm only takes over an object that names its
 * release, so point it at this one: the adoption docs/operations.md describes
 * ("helm install fails on the CRD").
 */
export async function adoptCRD(cluster: Cluster, release: string, namespace: string): Promise<void> {
  const exists = await cluster.kubectl(['get', 'crd', crdName, '-o', 'name']);
  if (exists.code !== 0) return;
  for (const args of [
    ['label', 'crd', crdName, 'app.kubernetes.io/managed-by=Helm', '--overwrite'],
    ['annotate', 'crd', crdName, '--overwrite', `meta.helm.sh/release-name=${release}`, `meta.helm.sh/release-namespace=${namespace}`],
  ]) {
    const r = await cluster.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  }
}

/**
 * A copy of the chart in a temp folder with another version, to stand for the
 * previous release of the chart; `edit` may change files in the copy.
 */
export function chartCopy(version: string, edit: (dir: string) => void = () => {}): string {
  const dir = join(mkdtempSync(join(scratch(), 'chart-')), 'agent-operator');
  cpSync(chartDir, dir, { recursive: true });
  const chartYaml = join(dir, 'Chart.yaml');
  writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8')
    .replace(/^version: .*$/m, `version: ${version}`)
    .replace(/^appVersion: .*$/m, `appVersion: "${version}"`));
  edit(dir);
  return dir;
}

/**
 * A kubeconfig whose only credential is a token of the given ServiceAccount
 * (`kubectl create token`), with the server and CA of the cluster's own
 * kubeconfig: exactly the permissions the chart grants, nothing of the admin.
 */
export async function serviceAccountKubeconfig(cluster: Cluster, serviceAccount: string, namespace: string): Promise<string> {
  return writeKubeconfig(cluster, { token: await serviceAccountToken(cluster, serviceAccount, namespace), namespace });
}

/**
 * Waits until the Agent CRD serves (Established=True), e.g. right after a
 * `helm install` created it. Polls the condition itself: `kubectl wait`
 * errors out instead of waiting when a new CRD has no conditions yet.
 */
export async function crdEstablished(cluster: Cluster): Promise<void> {
  await eventually(async () => {
    const r = await cluster.kubectl(['get', 'crd', crdName, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
    return r.code === 0 && r.stdout === 'True';
  }, { message: `CRD ${crdName} Established` });
}

// Kubeconfigs other than the cluster admin's, for operators that must run as
// someone else (a ServiceAccount: the chart's, or one that API Priority and
// Fairness does not exempt as it does system:masters) or reach the apiserver
// another way (through a test/support/tcp-proxy.ts proxy).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Cluster } from './cluster.ts';
import { scratchDir } from './scratch.ts';


/** A token of the ServiceAccount (`kubectl create token`, 1 h). */
export async function serviceAccountToken(cluster: Cluster, serviceAccount: string, namespace: string): Promise<string> {
  const token = await cluster.kubectl(['create', 'token', serviceAccount, '-n', namespace, '--duration=1h']);
  if (token.code !== 0) throw new Error(`kubectl create token ${serviceAccount} -n ${namespace} failed: ${token.stderr}`);
  return token.stdout.trim();
}

export interface KubeconfigOptions {
  /** bearer token; default: the cluster kubeconfig's own user (client certificate) */
  token?: string;
  /** e.g. `https://127.0.0.1:<proxy port>`; default: the cluster's server. The name must be in the serving certificate. */
  server?: string;
  namespace?: string;
}

/** Writes a kubeconfig for this cluster (its CA) with the given user and server; returns its path (removed when the process exits). */
export function writeKubeconfig(cluster: Cluster, opts: KubeconfigOptions = {}): string {
  const current = cluster.kc.getCurrentCluster();
  const user = cluster.kc.getCurrentUser();
  if (!current || !user) throw new Error('the cluster kubeconfig has no current cluster or user');
  const caData = current.caData ?? (current.caFile ? readFileSync(current.caFile).toString('base64') : undefined);
  const fileData = (data: string | undefined, file: string | undefined) => data ?? (file ? readFileSync(file).toString('base64') : undefined);
  const credentials = opts.token !== undefined
    ? { token: opts.token }
    : {
        ...(user.token ? { token: user.token } : {}),
        ...(fileData(user.certData, user.certFile) ? { 'client-certificate-data': fileData(user.certData, user.certFile) } : {}),
        ...(fileData(user.keyData, user.keyFile) ? { 'client-key-data': fileData(user.keyData, user.keyFile) } : {}),
      };
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server: opts.server ?? current.server, ...(caData ? { 'certificate-authority-data': caData } : {}), ...(current.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: 'e2e-user', user: credentials }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'e2e-user', ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': 'e2e',
  };
  const path = join(mkdtempSync(join(scratchDir('agent-operator-kubeconfig-'), 'kubeconfig-')), 'kubeconfig');
  writeFileSync(path, stringify(kubeconfig), { mode: 0o600 });
  return path;
}

/** The apiserver's host and port, from the cluster kubeconfig. */
export function apiserverAddress(cluster: Cluster): { host: string; port: number } {
  const server = cluster.kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the cluster kubeconfig has no server');
  const url = new URL(server);
  return { host: url.hostname, port: Number(url.port || 443) };
}

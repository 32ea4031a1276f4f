import { apiVersion, group, kind, plural, version } from '../api/agent.ts';
import type { AgentStatus } from '../api/status.ts';
import { fieldManager } from '../config.ts';
import type { KubeClient } from './client.ts';

// Agent status goes through the /status subresource by server-side apply with
// the operator's field manager, not by merge patch:
// - a field the operator stops setting (lastFailure cleared, recovery reset)
//   is removed by the apiserver because we no longer apply it, where a merge
//   patch would need an explicit null for every such field, computed against
//   a previous status we may not have;
// - conditions are a list-map keyed on type in the CRD, so SSA merges them by
//   type, and another controller's condition type is left alone;
// - no resourceVersion, no read-modify-write, no 409 loop; status-only writes
//   never touch spec, and /status ignores everything but status.
// The caller writes only when the status it computed differs from the one it
// read, so a converged Agent sends nothing (the apiserver would also turn an
// identical apply into a no-op without a new resourceVersion, but it would
// still be a request).

export function agentStatusPath(namespace: string, name: string): string {
  return `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}/status`;
}

/** Applies `status` as the whole of the operator's status; returns the Agent as stored. 404 (Agent gone) throws KubeApiError. */
export async function patchAgentStatus<T = unknown>(client: KubeClient, namespace: string, name: string, status: AgentStatus): Promise<T> {
  return client.request<T>({
    method: 'PATCH',
    path: agentStatusPath(namespace, name),
    query: { fieldManager, force: true },
    body: { apiVersion, kind, metadata: { name, namespace }, status },
    contentType: 'application/apply-patch+yaml',
  });
}

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
// - status-only writes never touch spec, and /status ignores everything but status;
// - the resourceVersion of the Agent the status was computed from goes along
//   as a precondition: a status computed from a stale cache (our own last
//   write not seen yet) is refused with 409 instead of rolling the remediation
//   schedule back, and the reconcile runs again on fresh data.
// The caller writes only when the status it computed differs from the one it
// read, so a converged Agent sends nothing (the apiserver would also turn an
// identical apply into a no-op without a new resourceVersion, but it would
// still be a request).

export function agentStatusPath(namespace: string, name: string): string {
  return `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}/status`;
}

/** Applies `status` as the whole of the operator's status; returns the Agent as stored. 404 (Agent gone) throws KubeApiError. */
export async function patchAgentStatus<T = unknown>(client: KubeClient, namespace: string, name: string, status: AgentStatus, resourceVersion?: string): Promise<T> {
  return client.request<T>({
    method: 'PATCH',
    path: agentStatusPath(namespace, name),
    query: { fieldManager, force: true },
    body: { apiVersion, kind, metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) }, status },
    contentType: 'application/apply-patch+yaml',
  });
}

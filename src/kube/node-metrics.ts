import type { KubeTransport } from '../runtime/kube-http.ts';
import { errorFrom } from '../runtime/kube-http.ts';

/**
 * The kubelet's cAdvisor metrics of one node, through the apiserver's node
 * proxy (RBAC: nodes/proxy get): no network path to the kubelet and no
 * kubelet credentials needed, only the operator's own token.
 */
export async function readNodeCadvisor(transport: KubeTransport, node: string, signal?: AbortSignal): Promise<string> {
  const res = await transport.request({
    method: 'GET', path: `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics/cadvisor`,
    headers: { Accept: 'text/plain' }, ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw errorFrom(res, text);
  return text;
}

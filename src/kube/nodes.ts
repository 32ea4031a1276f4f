import type { V1Node } from '@kubernetes/client-node';
import { ifFound } from '../runtime/api-error.ts';
import type { KubeClient } from './client.ts';

/**
 * One Node by name, null when it does not exist. Read only for the nodes of
 * an Agent's pods that are not Ready (src/health/node-lost.ts nodesToRead):
 * a targeted GET instead of a cluster-wide watch, which would hold every
 * Node of a large cluster in memory for the few that matter.
 */
export async function readNode(client: KubeClient, name: string): Promise<V1Node | null> {
  return (await ifFound(client.request<V1Node>({ method: 'GET', path: `/api/v1/nodes/${encodeURIComponent(name)}` }))) ?? null;
}

import { isNotFound } from '../runtime/api-error.ts';
import { objectPath } from './apply.ts';
import type { KubeClient } from './client.ts';

/**
 * Deletes an owned object the spec no longer asks for (a Service after the
 * ports were removed, a PDB at one replica). Already gone counts as done.
 */
export async function removeOwned(client: KubeClient, ref: { apiVersion: string; kind: string; name: string; namespace: string }): Promise<void> {
  try {
    await client.request({
      method: 'DELETE',
      path: objectPath({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

import { isConflict, isNotFound, KubeApiError } from '../runtime/api-error.ts';
import type { KubeClient } from './client.ts';

/**
 * - deleted: the pod with that uid is being deleted;
 * - gone: no pod of that name any more (already deleted: nothing to do);
 * - replaced: a pod of that name exists but is another pod (a replacement
 *   with a new uid), so it was left alone.
 */
export type DeletePodResult = 'deleted' | 'gone' | 'replaced';

/**
 * Deletes one pod, only if it is still the pod with `uid` (a precondition the
 * apiserver checks atomically; a mismatch is 409). Remediation decides on a
 * pod it saw; by the time the request lands, a StatefulSet-style same-name
 * replacement or a re-created pod must never be the one killed.
 */
export async function deletePod(client: KubeClient, namespace: string, name: string, uid: string, force = false): Promise<DeletePodResult> {
  try {
    // A raw request, not the generated CoreV1Api (its model layer is ~60 MiB of RSS, src/kube/client-node-config.ts).
    await client.request({
      method: 'DELETE', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid }, ...(force ? { gracePeriodSeconds: 0 } : {}) },
    });
    return 'deleted';
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    if (isConflict(err)) return 'replaced';
    throw err;
  }
}

/**
 * Merges annotations into one pod's metadata (JSON merge patch: nothing else
 * is sent, so no other field is claimed or touched). The uid in the body is a
 * precondition: a replacement pod under the same name is refused (the uid is
 * immutable), never annotated. A pod gone or replaced is not an error: the
 * next reconcile sees the pods as they are.
 */
export async function patchPodAnnotations(client: KubeClient, namespace: string, name: string, uid: string, annotations: Record<string, string>): Promise<'patched' | 'gone'> {
  try {
    await client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
      body: { metadata: { uid, annotations } },
      contentType: 'application/merge-patch+json',
    });
    return 'patched';
  } catch (err) {
    if (isNotFound(err) || isConflict(err) || (err instanceof KubeApiError && err.status === 422)) return 'gone';
    throw err;
  }
}

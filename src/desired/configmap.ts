import type { V1ConfigMap } from '@kubernetes/client-node';
import type { ResolvedConfig } from './defaults.ts';
import { canonicalJson, sha256Hex } from './hash.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { configMapName, liveConfigMapName } from './names.ts';

/** The content hash of a rendered config: file name and bytes (a rename is another file for the agent). */
export function configHash(fileName: string, content: string): string {
  return sha256Hex(canonicalJson({ [fileName]: content }));
}

/**
 * The rendered config: one key, the file name, mounted read-only into the pod.
 *
 * Reload Restart: named by its content and immutable, so the object under a
 * name never changes and every ReplicaSet keeps reading the bytes it was
 * rolled out with (and the kubelet need not watch it).
 *
 * InPlace and HTTP reload: one mutable ConfigMap under a fixed name, so the
 * pod template never changes with the config (no new ReplicaSet or
 * ControllerRevision) and the kubelet rewrites the mounted file in the
 * running pods when its content changes (src/reconcile/config-reload.ts
 * makes that prompt).
 */
export function configMap(owner: Owner, config: ResolvedConfig, content: string): Owned<V1ConfigMap> {
  const restart = config.reload.mode === 'Restart';
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(owner, restart ? configMapName(owner.name, configHash(config.fileName, content)) : liveConfigMapName(owner.name)),
    ...(restart ? { immutable: true } : {}),
    data: { [config.fileName]: content },
  };
}

import type { V1ConfigMap } from '@kubernetes/client-node';
import type { ResolvedConfig } from './defaults.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { configMapName } from './names.ts';

/** The rendered config: one key, the file name, mounted read-only into the pod. */
export function configMap(owner: Owner, config: ResolvedConfig, content: string): Owned<V1ConfigMap> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(owner, configMapName(owner.name)),
    data: { [config.fileName]: content },
  };
}

import type { V1PersistentVolumeClaim, V1PersistentVolumeClaimSpec } from '@kubernetes/client-node';
import type { ResolvedStorage } from './defaults.ts';
import { agentNameAnnotation } from './labels.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { pvcName } from './names.ts';

/**
 * The state volume claim. It carries an ownerReference only when
 * retainOnDelete is false: the garbage collector deletes whatever an Agent
 * owns, and a retained claim (the default) must outlive its Agent so the
 * agent's state survives a delete-and-recreate. An Agent recreated with the
 * same name adopts it again (same name). Without an owner the claim is found
 * by its labels, and by the annotation with the full Agent name (label values
 * are cut at 63 characters).
 *
 * storageClassName is sent only when set: otherwise the cluster default class
 * fills it in and the operator must not claim (or later fight over) that field.
 */
export function pvc(owner: Owner, storage: ResolvedStorage): Owned<V1PersistentVolumeClaim> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: objectMeta(owner, pvcName(owner.name), {
      owned: !storage.retainOnDelete,
      annotations: { [agentNameAnnotation]: owner.name },
    }),
    spec: claimSpec(storage),
  };
}

/** The claim's spec, for this claim and for a StatefulSet's claim template alike. */
export function claimSpec(storage: ResolvedStorage): V1PersistentVolumeClaimSpec {
  const spec: V1PersistentVolumeClaimSpec = {
    accessModes: [...storage.accessModes],
    resources: { requests: { storage: storage.size } },
  };
  if (storage.storageClassName !== undefined) spec.storageClassName = storage.storageClassName;
  return spec;
}

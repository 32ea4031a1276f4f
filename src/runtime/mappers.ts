import { groupOf, keyOf, objectKey, type KubeObject } from './kube-object.ts';

/** Maps an object an informer saw to the work-queue keys of the primaries to reconcile. */
export type Mapper<T> = (obj: T) => string[];

/** The object is the primary itself. */
export const toSelf: Mapper<KubeObject> = (obj) => [objectKey(obj)];

/**
 * An owned object maps to its controller owner of the given group and kind
 * (controller-runtime's EnqueueRequestForOwner with OnlyControllerOwner). The
 * version is ignored, so an owner reference written under another version
 * still matches. Owners are in the object's namespace: cross-namespace owner
 * references are not valid in Kubernetes.
 */
export function toControllerOwner(owner: { group: string; kind: string }): Mapper<KubeObject> {
  return (obj) => {
    const ref = obj.metadata?.ownerReferences?.find(
      (r) => r.controller === true && r.kind === owner.kind && groupOf(r.apiVersion) === owner.group,
    );
    return ref === undefined ? [] : [keyOf(obj.metadata?.namespace, ref.name)];
  };
}

import { freezeSharingStrings, StringTable } from './string-table.ts';

// The minimal shape of a Kubernetes object the runtime relies on. Objects come
// straight from the apiserver's JSON (timestamps are strings), so the fields the
// runtime does not read are left loose enough for client-node's model types.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: unknown;
  managedFields?: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: KubeObject): string {
  return keyOf(obj.metadata?.namespace, obj.metadata?.name ?? '');
}

export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The API group of an apiVersion: `apps/v1` -> `apps`, `v1` -> ``. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * What the cache keeps of an object: managedFields dropped (often the largest
 * part of an object and never needed by a controller), and deep-frozen so that
 * a reconciler mutating a cached object fails loudly instead of corrupting the
 * cache; its short strings are shared with every other cached object's
 * (string-table.ts: JSON.parse makes a copy of each).
 *
 * In metadata-only mode (the Secrets and ConfigMaps the operator merely
 * references) only the identity stays: name, namespace, uid and
 * resourceVersion, all a mapper needs to wake the Agents that reference the
 * object. Not labels, not annotations: `kubectl apply` copies a whole Secret,
 * data included, into kubectl.kubernetes.io/last-applied-configuration, and
 * PartialObjectMetadata carries it; a server that ignores the Accept header
 * sends the data itself. Neither may stay in this process.
 */
export function toCached<T extends KubeObject>(raw: T, metadataOnly: boolean): T {
  const { managedFields: _dropped, ...metadata } = raw.metadata ?? {};
  const obj = metadataOnly
    ? ({ apiVersion: raw.apiVersion, kind: raw.kind, metadata: identity(metadata) } as T)
    : ({ ...raw, metadata } as T);
  return freezeSharingStrings(obj, cacheStrings);
}

/** One table for every cache: a namespace, a label value or an image is shared across kinds too. */
const cacheStrings = new StringTable();

function identity({ name, namespace, uid, resourceVersion }: ObjectMeta): ObjectMeta {
  return {
    ...(name !== undefined ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(resourceVersion !== undefined ? { resourceVersion } : {}),
  };
}

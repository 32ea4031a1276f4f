import { canonicalJson } from '../lib/canonical-json.ts';
import { createHash } from 'node:crypto';
import { fieldManager } from '../config.ts';
import { isConflict, isNotFound } from '../runtime/api-error.ts';
import type { KubeClient } from './client.ts';
import { sameQuantity } from '../lib/quantity.ts';

// Owned objects are written by server-side apply, one field manager, force:
// no get/create/update branches and no resourceVersion races. A converged Agent
// must cause zero writes, so the reconciler asks needsApply(desired, live)
// first and skips the PATCH when the cluster already holds what we would send.

/** Annotation holding the hash of the desired object last applied (prometheus-operator's input-hash idea). */
export const desiredHashAnnotation = 'agent-operator.dev/desired-hash';

export interface ApplyObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** Where each kind we own lives. Unknown kinds are refused rather than guessed. */
const resources: Record<string, string> = {
  'apps/v1/Deployment': '/apis/apps/v1/namespaces/{ns}/deployments',
  'apps/v1/DaemonSet': '/apis/apps/v1/namespaces/{ns}/daemonsets',
  'apps/v1/StatefulSet': '/apis/apps/v1/namespaces/{ns}/statefulsets',
  'v1/Service': '/api/v1/namespaces/{ns}/services',
  'v1/ConfigMap': '/api/v1/namespaces/{ns}/configmaps',
  'v1/PersistentVolumeClaim': '/api/v1/namespaces/{ns}/persistentvolumeclaims',
  'policy/v1/PodDisruptionBudget': '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets',
};

/** Every kind the operator applies, as `apiVersion/Kind` (the permission table must let it create and patch each). */
export const ownedKinds: readonly string[] = Object.keys(resources);

export function objectPath(obj: Pick<ApplyObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const base = resources[`${obj.apiVersion}/${obj.kind}`];
  if (base === undefined) throw new Error(`apply: ${obj.apiVersion} ${obj.kind} is not a kind the operator owns (known: ${Object.keys(resources).join(', ')})`);
  return `${base.replace('{ns}', encodeURIComponent(obj.metadata.namespace))}/${encodeURIComponent(obj.metadata.name)}`;
}

/**
 * Server-side apply of `desired` (stamped with its hash), force=true with the
 * operator's field manager. Returns the object as the apiserver stored it.
 */
export async function apply<T = ApplyObject>(client: KubeClient, desired: ApplyObject, opts: { dryRun?: boolean } = {}): Promise<T> {
  const { status: _status, ...body } = withDesiredHash(desired);
  return client.request<T>({
    method: 'PATCH',
    path: objectPath(desired),
    query: { fieldManager, force: true, dryRun: opts.dryRun ? 'All' : undefined },
    body,
    contentType: 'application/apply-patch+yaml',
  });
}

/** The object under that name as the apiserver has it, or undefined when there is none. */
export async function read(client: KubeClient, ref: Omit<OwnedObjectRef, 'uid'>): Promise<unknown> {
  try {
    return await client.request({ method: 'GET', path: objectPath({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }) });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** An owned object by identity; with uid, only that incarnation is deleted. */
export interface OwnedObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

/**
 * Deletes an owned object the spec no longer asks for (a Service after ports
 * were removed, a PDB at one replica). Already gone counts as done, and so
 * does a uid mismatch: the object of that name is another one now.
 * Dependents are collected in the background, as kubectl does.
 */
export async function remove(client: KubeClient, ref: OwnedObjectRef): Promise<void> {
  try {
    await client.request({
      method: 'DELETE',
      path: objectPath({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', ...(ref.uid ? { preconditions: { uid: ref.uid } } : {}) },
    });
  } catch (err) {
    if (isNotFound(err) || (ref.uid && isConflict(err))) return;
    throw err;
  }
}

/** sha256 of the desired object, key order ignored, its own hash annotation excluded. */
export function desiredHash(desired: ApplyObject): string {
  const annotations = { ...desired.metadata.annotations };
  delete annotations[desiredHashAnnotation];
  const { status: _status, ...rest } = desired;
  const normalised = { ...rest, metadata: { ...desired.metadata, annotations } };
  return createHash('sha256').update(canonicalJson(normalised)).digest('hex').slice(0, 32);
}

export function withDesiredHash(desired: ApplyObject): ApplyObject {
  return {
    ...desired,
    metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, [desiredHashAnnotation]: desiredHash(desired) } },
  };
}

/**
 * Whether applying `desired` would change anything. Two checks:
 * - the live hash annotation must match: a field we stopped setting leaves
 *   `desired` a subset of live, and only the hash notices it must be removed;
 * - every field we set must hold the same value live: a hand edit or a deleted
 *   field leaves the hash as it was, and only the comparison notices.
 * Fields live has and we do not set (apiserver defaults, other managers) are ignored.
 */
export function needsApply(desired: ApplyObject, live: unknown): boolean {
  if (!isObject(live)) return true;
  const liveHash = (isObject(live['metadata']) && isObject(live['metadata']['annotations']))
    ? live['metadata']['annotations'][desiredHashAnnotation]
    : undefined;
  if (liveHash !== desiredHash(desired)) return true;
  const { status: _status, ...fields } = desired;
  return !contains(fields, live, []);
}

/**
 * True when every field set in `desired` has an equal value in `live`, where
 * equal allows for the apiserver's rewriting: zero values it omits, quantities
 * in canonical form, int-or-string ports, and lists where other managers added
 * entries.
 */
export function contains(desired: unknown, live: unknown, path: readonly string[]): boolean {
  if (desired === null || desired === undefined) return true;
  if (live === undefined || live === null) return isZero(desired);
  if (Array.isArray(desired)) return Array.isArray(live) && listContains(desired, live, path);
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    return Object.entries(desired).every(([k, v]) => contains(v, live[k], [...path, k]));
  }
  return sameScalar(desired, live, path);
}

function listContains(desired: unknown[], live: unknown[], path: readonly string[]): boolean {
  if (desired.length === live.length) {
    if (desired.every((d, i) => contains(d, live[i], path))) return true;
    // Same length but different: a scalar (atomic) list really differs; an object list may be another order of the same entries.
    if (!desired.every(isObject)) return false;
  }
  if (!desired.every(isObject) || live.length < desired.length) return false;
  // Other managers (webhooks, controllers) may have added entries: each of ours must be in a distinct live entry.
  const used = new Set<number>();
  return desired.every((d) => {
    const i = live.findIndex((l, j) => !used.has(j) && contains(d, l, path));
    if (i < 0) return false;
    used.add(i);
    return true;
  });
}

const quantityParents = new Set(['requests', 'limits', 'capacity', 'hard', 'overhead']);
const quantityKeys = new Set(['sizeLimit', 'storage']);

function sameScalar(desired: unknown, live: unknown, path: readonly string[]): boolean {
  if (desired === live) return true;
  const key = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  const scalar = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
  if (scalar(desired) && scalar(live)) {
    if (quantityParents.has(parent) || quantityKeys.has(key)) return sameQuantity(desired, live);
    // int-or-string fields (targetPort, maxUnavailable) may come back in the other form.
    if (typeof desired !== typeof live) return String(desired) === String(live);
  }
  return false;
}

/**
 * Values Go's omitempty drops when the apiserver serialises (false, 0, "",
 * empty lists and maps): an absent live field equals these. A non-empty
 * object is never zero (Go keeps structs), so its members are still compared.
 */
function isZero(v: unknown): boolean {
  if (v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.values(v).every((x) => x === undefined || x === null);
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}


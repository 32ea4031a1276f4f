import { desiredHash, desiredHashAnnotation, type ApplyObject } from '../desired/desired-hash.ts';
import { sameQuantity } from '../lib/quantity.ts';

// Pure: whether the cluster already holds what an apply would send, so a
// converged Agent plans no write (docs/architecture.md, "Zero writes when converged").

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

/**
 * The one merge rule, used for config layers and for securityContext
 * overrides alike, so users learn it once:
 *
 * - mappings merge key by key, recursively; the later value wins;
 * - lists and scalars are replaced whole (merging lists by index surprises
 *   everyone, and merging them by a key needs a schema we do not have);
 * - `null` in a later mapping removes the key. A null therefore never reaches
 *   the output of a mapping (null items inside a list are kept);
 * - key order is stable: keys keep the position where they first appeared,
 *   new keys go last. So the output is deterministic and a reordering of an
 *   unrelated layer does not change the rendered bytes.
 *
 * Inputs are never mutated (lists and scalars in the result may be shared with them).
 */
export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function deepMerge(...layers: Mapping[]): Mapping {
  let result: Mapping = {};
  for (const layer of layers) result = mergeTwo(result, layer);
  return result;
}

function mergeTwo(base: Mapping, over: Mapping): Mapping {
  const out: Mapping = {};
  for (const key of Object.keys(base)) set(out, key, base[key]);
  for (const key of Object.keys(over)) {
    const value = over[key];
    if (value === null) {
      delete out[key];
    } else if (value === undefined) {
      continue;
    } else if (isMapping(value)) {
      const prior = Object.hasOwn(out, key) ? out[key] : undefined;
      set(out, key, mergeTwo(isMapping(prior) ? prior : {}, value));
    } else {
      set(out, key, value);
    }
  }
  return out;
}

/** defineProperty, so a key named `__proto__` in user config stays an ordinary key. */
function set(target: Mapping, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

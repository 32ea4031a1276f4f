/**
 * JSON with object keys sorted at every level, so two objects that differ only
 * in key order serialise identically. `undefined` members are dropped, as
 * JSON.stringify drops them, so `{a: undefined}` and `{}` hash the same.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(input: unknown): unknown {
  // What JSON.stringify would serialise: a Date becomes its ISO string, not {}.
  const value = typeof (input as { toJSON?: unknown } | null)?.toJSON === 'function' ? (input as { toJSON(): unknown }).toJSON() : input;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    // defineProperty, so a key named __proto__ stays data instead of setting the prototype.
    if (member !== undefined) Object.defineProperty(out, key, { value: sortKeys(member), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

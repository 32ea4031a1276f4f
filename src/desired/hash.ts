import { createHash } from 'node:crypto';

/** Lowercase hex sha256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The first `length` hex digits of sha256(text): short, stable, and good enough to tell names and revisions apart. */
export function shortHash(text: string, length = 8): string {
  return sha256Hex(text).slice(0, length);
}

/**
 * JSON with object keys sorted at every level, so two objects that differ only
 * in key order serialise identically. `undefined` members are dropped, as
 * JSON.stringify drops them, so `{a: undefined}` and `{}` hash the same.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
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

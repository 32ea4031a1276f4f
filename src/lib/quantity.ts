/**
 * Kubernetes resource quantities (`256Mi`, `0.5`, `500m`, `1e3`): one grammar,
 * read two ways. parseQuantity gives a plain number of base units (bytes,
 * cores), exact enough for limits and the memory-raise rule. sameQuantity
 * compares exactly, in integers: the apiserver rewrites quantities to a
 * canonical form (`0.1` -> `100m`, `1024Mi` -> `1Gi`, `1e3` -> `1k`), so a
 * desired value and the live one must be compared by value, and floats would
 * call `0.1` and `100m` different for some inputs.
 */
const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffix: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const pattern = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

export function isQuantity(value: string | number): boolean {
  return typeof value === 'number' ? Number.isFinite(value) : pattern.test(value);
}

/** Base units of a quantity; throws on text that is not a quantity. */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = pattern.exec(value);
  if (!m) throw new Error(`"${value}" is not a Kubernetes quantity (examples: 256Mi, 1Gi, 500m, 2)`);
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  // Number('1e-9'), not 10 ** -9: the literal, exactly as a table of factors would hold it.
  return n * (suffix in binarySuffix ? 2 ** (binarySuffix[suffix] ?? 0) : Number(`1e${decimalSuffix[suffix] ?? 0}`));
}

/** Bytes rendered the way people write memory limits: whole Mi, or Gi when exact. */
export function formatMemory(bytes: number): string {
  const mi = Math.ceil(bytes / 2 ** 20);
  if (mi >= 1024 && mi % 1024 === 0) return `${mi / 1024}Gi`;
  return `${mi}Mi`;
}

interface Exact {
  /** value = mantissa * 10^pow10 * 2^pow2 */
  mantissa: bigint;
  pow10: number;
  pow2: number;
}

function exact(value: string | number): Exact | undefined {
  const m = pattern.exec(typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim());
  if (!m) return undefined;
  const [, number = '', suffix, exponent] = m;
  const exp = exponent === undefined ? 0 : Number(exponent);
  // Beyond this the value is not a sensible resource amount; refuse rather than build huge integers.
  if (Math.abs(exp) > 64) return undefined;
  const [whole = '', fraction = ''] = number.replace(/^[+-]/, '').split('.');
  const digits = BigInt(`${whole}${fraction}` || '0');
  return {
    mantissa: number.startsWith('-') ? -digits : digits,
    pow10: -fraction.length + exp + (suffix !== undefined && suffix in decimalSuffix ? decimalSuffix[suffix] ?? 0 : 0),
    pow2: suffix !== undefined ? binarySuffix[suffix] ?? 0 : 0,
  };
}

/** True when both parse as quantities of the same value; false when either does not parse or they differ. */
export function sameQuantity(a: string | number, b: string | number): boolean {
  const x = exact(a);
  const y = exact(b);
  if (x === undefined || y === undefined) return false;
  const p10 = Math.min(x.pow10, y.pow10);
  const p2 = Math.min(x.pow2, y.pow2);
  const scale = (q: Exact): bigint => q.mantissa * 10n ** BigInt(q.pow10 - p10) * 2n ** BigInt(q.pow2 - p2);
  return scale(x) === scale(y);
}

// Exact comparison of Kubernetes quantities. The apiserver rewrites quantities
// to a canonical form (`0.1` -> `100m`, `1024Mi` -> `1Gi`, `1e3` -> `1k`), so a
// desired value and the live one must be compared by value; floats would call
// `0.1` and `100m` different for some inputs, so this works in integers.

interface Exact {
  /** value = mantissa * 10^pow10 * 2^pow2 */
  mantissa: bigint;
  pow10: number;
  pow2: number;
}

const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffix: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const pattern = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

function parse(value: string | number): Exact | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = pattern.exec(text);
  if (!m) return undefined;
  const [, sign = '', whole = '', fraction = '', suffix, exponent] = m;
  if (whole === '' && fraction === '') return undefined;
  const exp = exponent === undefined ? 0 : Number(exponent);
  // Beyond this the value is not a sensible resource amount; refuse rather than build huge integers.
  if (Math.abs(exp) > 64) return undefined;
  const digits = BigInt(`${whole}${fraction}` || '0');
  return {
    mantissa: sign === '-' ? -digits : digits,
    pow10: -fraction.length + exp + (suffix !== undefined && suffix in decimalSuffix ? decimalSuffix[suffix] ?? 0 : 0),
    pow2: suffix !== undefined ? binarySuffix[suffix] ?? 0 : 0,
  };
}

/** True when both parse as quantities of the same value; false when either does not parse or they differ. */
export function sameQuantity(a: string | number, b: string | number): boolean {
  const x = parse(a);
  const y = parse(b);
  if (x === undefined || y === undefined) return false;
  const p10 = Math.min(x.pow10, y.pow10);
  const p2 = Math.min(x.pow2, y.pow2);
  const scale = (q: Exact): bigint => q.mantissa * 10n ** BigInt(q.pow10 - p10) * 2n ** BigInt(q.pow2 - p2);
  return scale(x) === scale(y);
}

/**
 * Kubernetes resource quantities (`256Mi`, `0.5`, `500m`, `1e3`), parsed to a
 * plain number of base units (bytes, cores). Exact enough for limits and the
 * memory-raise rule; not a full decimal implementation.
 */
const suffixes: Record<string, number> = {
  '': 1,
  n: 1e-9, u: 1e-6, m: 1e-3,
  k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const pattern = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

/** Kubernetes' own quantity grammar, for schema patterns and error texts. */
export const quantityPattern = pattern.source;

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
  return n * (suffixes[m[2] ?? ''] ?? 1);
}

/** Bytes rendered the way people write memory limits: whole Mi, or Gi when exact. */
export function formatMemory(bytes: number): string {
  const mi = Math.ceil(bytes / 2 ** 20);
  if (mi >= 1024 && mi % 1024 === 0) return `${mi / 1024}Gi`;
  return `${mi}Mi`;
}

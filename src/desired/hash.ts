// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { createHash } = process.getBuiltinModule('node:crypto');

/** Lowercase hex sha256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The first `length` hex digits of sha256(text): short, stable, and good enough to tell names and revisions apart. */
export function shortHash(text: string, length = 8): string {
  return sha256Hex(text).slice(0, length);
}

export { canonicalJson } from '../lib/canonical-json.ts';

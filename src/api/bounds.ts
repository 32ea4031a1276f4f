// Bounds on what an Agent may hold in its free-form fields. The apiserver
// accepts x-kubernetes-preserve-unknown-fields values nested ~10,000 levels
// deep (9,990 measured on 1.36, test/e2e/untrusted-objects.test.ts), and a
// structural schema cannot bound their depth: it has no recursion, and
// maxProperties or a CEL rule reach a fixed number of levels only. So the
// operator bounds them itself, with an InvalidSpec condition that names the
// field, and every check here walks the value with its own stack, never the
// call stack.

export const maxFreeFormDepth = 32;

/** The rendered config file: a quarter of a ConfigMap, room enough for any agent's config. */
export const maxRenderedConfigBytes = 256 * 1024;

export const tooDeepText = `nested more than ${maxFreeFormDepth} levels deep`;

/** True when a JSON-like value nests mappings or lists more than `limit` levels (a scalar is level 0). */
export function deeperThan(value: unknown, limit: number = maxFreeFormDepth): boolean {
  const todo: Array<[unknown, number]> = [[value, 0]];
  while (todo.length > 0) {
    const [v, depth] = todo.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(v)) todo.push([child, depth + 1]);
  }
  return false;
}

/**
 * Freezes `value` and everything it holds, so a mutation fails loudly.
 * Iterative, with its own stack: objects come from the apiserver, which
 * accepts free-form fields nested ~10,000 levels deep, and a recursive walk
 * overflows the call stack long before that.
 */
export function deepFreeze<T>(value: T): T {
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) todo.push(child);
  }
  return value;
}

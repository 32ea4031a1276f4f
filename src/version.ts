// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { readFileSync } = process.getBuiltinModule('node:fs');

/**
 * The operator's version, from package.json (one level above both src/ and
 * dist/, so the same code works run from source and built). It goes into the
 * User-Agent of every API request, so the apiserver audit log can tell which
 * operator build made a write.
 */
export const version: string = readVersion();

export const userAgent = `agent-operator/${version}`;

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0-unknown';
  } catch {
    return '0.0.0-unknown';
  }
}

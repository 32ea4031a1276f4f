// Import cycles among files and among folders (type-only imports count: they
// couple the files as much). A file directly under a root (src/main.ts,
// src/config.ts) is its own node, since main.ts is the wiring that imports
// everything. test/unit/import-cycles.test.ts keeps src/ and bench/ free of both.
//   node hack/import-cycles.ts src bench    list them (exit 1 when there are any)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const specifier = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [resolve(path)] : [];
  });
}

/** Tarjan's strongly connected components with more than one member. */
function cycles(nodes: readonly string[], next: (n: string) => Iterable<string>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size); low.set(v, index.get(v)!); stack.push(v); onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1) out.push(component.sort());
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

export function importCycles(roots: readonly string[], base = process.cwd()): { files: string[][]; folders: string[][] } {
  const files = roots.flatMap((r) => tsFiles(resolve(base, r)));
  const known = new Set(files);
  const imports = new Map(files.map((f) => [f, [...readFileSync(f, 'utf8').matchAll(specifier)]
    .map((m) => resolve(dirname(f), (m[1] ?? m[2])!)).filter((t) => known.has(t))]));
  const rootDirs = new Set(roots.map((r) => resolve(base, r)));
  const folder = (f: string) => (rootDirs.has(dirname(f)) ? f : dirname(f));
  const folderImports = new Map<string, Set<string>>();
  for (const [f, targets] of imports) {
    for (const t of targets) if (folder(t) !== folder(f)) folderImports.set(folder(f), (folderImports.get(folder(f)) ?? new Set()).add(folder(t)));
  }
  const rel = (c: string[]) => c.map((p) => relative(base, p));
  return {
    files: cycles(files, (f) => imports.get(f) ?? []).map(rel),
    folders: cycles([...new Set(files.map(folder))], (d) => folderImports.get(d) ?? []).map(rel),
  };
}

if (import.meta.main) {
  const found = importCycles(process.argv.slice(2));
  for (const [what, list] of Object.entries(found)) {
    console.log(`${what}: ${list.length} cycle(s)`);
    for (const c of list) console.log(`  ${c.join(' <-> ')}`);
  }
  process.exitCode = found.files.length + found.folders.length > 0 ? 1 : 0;
}

// What the operator holds before a single Agent exists, without a cluster:
// node bench/start-memory.ts. Compiles src/ into dist/ (as the image's build
// stage does), then in fresh processes, with the node flags of the image's
// ENTRYPOINT, imports every module dist/main.js imports and loads a
// kubeconfig as main does (a bearer token and CA data), runs V8's GC four
// times and reads process.memoryUsage() and /proc/self/status: RSS, the part
// of it that is file-backed (mostly the node binary's own code pages) and
// anonymous (the V8 heap and malloc), V8 heap used and committed. A bare node
// process (`node -e ''`, same flags) is measured the same way beside it, and
// the source each package contributes to the graph is listed (V8 keeps every
// module's source on its heap). Three runs each, medians shown.
//
// This is the graph, not a running operator: `make bench`'s "RSS at start"
// is the process after /readyz against a control plane (informers started,
// the metrics and health servers listening), a few MiB above this.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './lib/cluster.ts';
import { buildDist, shippedArgs } from './lib/operator.ts';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write('usage: node bench/start-memory.ts   (the operator\'s module graph after GC, as the image runs it; no cluster)\n');
  process.exit(0);
}

const probe = `
const { registerHooks } = process.getBuiltinModule('node:module');
const { readFileSync, statSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const files = [];
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) files.push(fileURLToPath(url)); return next(url, context); } });
const modules = JSON.parse(process.env.MODULES);
for (const m of modules) await import(m);
if (modules.length > 0) {
  const { loadKubeConfig } = await import(process.env.CLIENT);
  globalThis.kc = loadKubeConfig(process.env.KUBECONFIG_PATH, {});
}
for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setTimeout(r, 50)); }
const m = process.memoryUsage();
const kib = (k) => Number(/\\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(k + ':')))[0]) * 1024;
const sources = {};
for (const f of files) { const p = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1] ?? 'dist (the operator)'; sources[p] = (sources[p] ?? 0) + statSync(f).size; }
process.stdout.write(JSON.stringify({ rss: m.rss, file: kib('RssFile'), anon: kib('RssAnon'), heapUsed: m.heapUsed, heapTotal: m.heapTotal, sources }));
`;

interface Reading { rss: number; file: number; anon: number; heapUsed: number; heapTotal: number; sources: Record<string, number> }

buildDist();
const flags = shippedArgs().slice(0, -1);
const main = readFileSync(join(repoRoot, 'src/main.ts'), 'utf8');
const modules = [...main.matchAll(/^import .* from '(\.[^']+)';$/gm)].map((m) => new URL(m[1]!.replace(/\.ts$/, '.js'), `file://${join(repoRoot, 'dist/')}`).href);
const dir = mkdtempSync(join(tmpdir(), 'start-memory-'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: ${Buffer.from('CA').toString('base64')}}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);

function measure(mods: string[]): Reading {
  const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, ['--expose-gc', ...flags, '--input-type=module', '-e', probe], {
    cwd: repoRoot, encoding: 'utf8',
    env: { ...process.env, MODULES: JSON.stringify(mods), CLIENT: new URL('dist/kube/client.js', `file://${repoRoot}/`).href, KUBECONFIG_PATH: kubeconfig },
  })) as Reading);
  runs.sort((a, b) => a.rss - b.rss);
  return runs[1]!;
}

try {
  const MiB = (n: number) => (n / 1024 / 1024).toFixed(1).padStart(6);
  const bare = measure([]);
  const graph = measure(modules);
  process.stdout.write(`node ${process.versions.node}, flags: ${flags.join(' ') || '(none)'}; MiB after GC, median of 3\n`);
  process.stdout.write('                                       RSS   file   anon  heap used  heap committed\n');
  for (const [label, r] of [['bare node', bare], ['the operator\'s modules + kubeconfig', graph]] as const) {
    process.stdout.write(`${label.padEnd(36)} ${MiB(r.rss)} ${MiB(r.file)} ${MiB(r.anon)} ${MiB(r.heapUsed)}     ${MiB(r.heapTotal)}\n`);
  }
  process.stdout.write('\nsource loaded, KiB:\n');
  for (const [p, n] of Object.entries(graph.sources).sort((a, b) => b[1] - a[1])) process.stdout.write(`${(n / 1024).toFixed(0).padStart(7)}  ${p}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

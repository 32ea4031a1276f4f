// Builds `kubectl-agent`, the kubectl plugin, as one executable: Node's single
// executable application (SEA) from the pinned Node 24 (the `node` devDependency)
// with the plugin (src/cli) inside. Users need nothing else: no Node, no npm.
//
//   node hack/build-plugin.ts [OUT]      default OUT: dist/kubectl-agent
//
// Node 24's SEA runs one CommonJS script, so the plugin's modules are
// transpiled by TypeScript and joined into one file with a small module table.
// That works because the plugin imports only its own files (relative .ts
// paths) and node: builtins; anything else is refused here, not at run time.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const entry = join(root, 'src/cli/main.ts');
const out = resolve(process.argv[2] ?? join(root, 'dist/kubectl-agent'));
const work = join(dirname(out), '.kubectl-agent-build');
mkdirSync(work, { recursive: true });

/** Every module the entry reaches, transpiled to CommonJS, keyed by path from the repository root. */
function collect(file: string, seen = new Map<string, string>()): Map<string, string> {
  const id = relative(root, file);
  if (seen.has(id)) return seen;
  const source = readFileSync(file, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: false, esModuleInterop: true },
    fileName: file,
  });
  seen.set(id, outputText);
  for (const m of outputText.matchAll(/require\("([^"]+)"\)/g)) {
    const spec = m[1]!;
    if (spec.startsWith('node:')) continue;
    if (!spec.startsWith('.')) throw new Error(`${id} imports ${spec}: the plugin may import only its own files and node: builtins`);
    collect(resolve(dirname(file), spec), seen);
  }
  return seen;
}

const modules = collect(entry);
const table = [...modules].map(([id, code]) => `${JSON.stringify(id)}: function (require, module, exports) {\n${code}\n}`).join(',\n');
const bundle = `'use strict';
// kubectl-agent, built by hack/build-plugin.ts from src/cli: do not edit.
const path = require('node:path');
const table = {\n${table}\n};
const cache = {};
function load(id) {
  if (cache[id]) return cache[id].exports;
  const module = { exports: {} };
  cache[id] = module;
  const local = (spec) => spec.startsWith('node:') ? require(spec) : load(path.posix.join(path.posix.dirname(id), spec));
  table[id](local, module, module.exports);
  return module.exports;
}
load(${JSON.stringify(relative(root, entry))});
`;
const script = join(work, 'kubectl-agent.cjs');
writeFileSync(script, bundle);
const blob = join(work, 'sea-prep.blob');
writeFileSync(join(work, 'sea-config.json'), JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }));
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' });
copyFileSync(process.execPath, out);
chmodSync(out, 0o755);
const postject = join(dirname(createRequire(import.meta.url).resolve('postject/package.json')), 'dist/cli.js');
execFileSync(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });

// The krew archive and manifest for this platform (krew/agent.yaml filled in).
const os = process.platform;
const arch = process.arch === 'x64' ? 'amd64' : process.arch;
const krew = join(dirname(out), 'krew');
mkdirSync(krew, { recursive: true });
const archive = join(krew, `kubectl-agent-${os}-${arch}.tar.gz`);
execFileSync('tar', ['-czf', archive, '-C', dirname(out), basename(out)]);
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const releaseUrl = process.env['PLUGIN_RELEASE_URL'] ?? `file://${krew}`;
const manifest = readFileSync(join(root, 'krew/agent.yaml'), 'utf8')
  .replaceAll('VERSION', version).replaceAll('RELEASE_URL', releaseUrl).replaceAll('HOMEPAGE', process.env['PLUGIN_HOMEPAGE'] ?? releaseUrl)
  .replace(/\bOS\b/g, os).replace(/\bARCH\b/g, arch).replace('SHA256', createHash('sha256').update(readFileSync(archive)).digest('hex'));
writeFileSync(join(krew, 'agent.yaml'), manifest);
console.log(`built ${relative(process.cwd(), out)} (Node ${process.version}, ${modules.size} modules) and ${relative(process.cwd(), krew)}/`);

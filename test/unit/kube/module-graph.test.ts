import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '../../..');

// The operator's module graph (every module src/main.ts imports, and
// KubeConfig loaded from a kubeconfig file as main does), in a fresh process
// that records what it loads: client-node's generated layer (the package
// index, every API class, all models) is ~60 MiB of RSS before a single Agent
// exists (issue 13), and nothing the operator runs needs it.
const probe = `
import { registerHooks } from 'node:module';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
for (const m of JSON.parse(process.env.MODULES)) await import(m);
const { loadKubeConfig } = await import(${JSON.stringify(join(root, 'src/kube/client.ts'))});
const dir = mkdtempSync(join(tmpdir(), 'module-graph-'));
writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\\nkind: Config\\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\\nusers: [{name: u, user: {token: t}}]\\ncontexts: [{name: x, context: {cluster: c, user: u}}]\\ncurrent-context: x\\n');
const kc = loadKubeConfig(join(dir, 'kubeconfig'), {});
if (kc.getCurrentCluster()?.server !== 'https://127.0.0.1:1') throw new Error('kubeconfig not loaded');
process.stdout.write(JSON.stringify(loaded.filter((u) => u.includes('/@kubernetes/client-node/'))));
`;

describe('the operator\'s module graph', () => {
  it('loads client-node\'s KubeConfig and transport without its generated API classes and models', () => {
    const main = readFileSync(join(root, 'src/main.ts'), 'utf8');
    const modules = [...main.matchAll(/^import .* from '(\.[^']+)';$/gm)].map((m) => new URL(m[1]!, `file://${join(root, 'src/')}`).href);
    assert.ok(modules.length > 10, 'main.ts imports parsed');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, env: { ...process.env, MODULES: JSON.stringify(modules) }, encoding: 'utf8' });
    const loaded = JSON.parse(out) as string[];
    assert.ok(loaded.some((u) => u.endsWith('/dist/config.js')), 'KubeConfig is loaded');
    const generated = loaded.filter((u) => /\/dist\/(index\.js|gen\/index\.js|gen\/models\/|gen\/apis\/(?!exception\.js)|gen\/types\/)/.test(u));
    assert.deepEqual(generated, []);
  });
});

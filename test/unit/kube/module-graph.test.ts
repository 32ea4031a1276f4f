import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '../../..');

// The operator's module graph (every module src/main.ts imports, and the
// kubeconfig loaded as main loads it), in a fresh process that records what
// it loads. Each of these was loaded at start before issue 13's work and is
// memory a process with 0 Agents does not need:
// - client-node's generated layer (the package index, every API class, all
//   models): ~60 MiB;
// - client-node's KubeConfig with js-yaml, its exec/OIDC/Azure/GCP
//   authenticators and SOCKS/HTTP proxy agents, for a kubeconfig that needs
//   none of them (src/kube/kube-config.ts serves it);
// - undici (client-node's fetch, 1.3 MB of source), for the transport
//   (src/runtime/kube-http.ts is node:https);
// - Node's own bundled undici and web streams (what node:http's lazy
//   WebSocket export loads when node:http is imported as an ES module) and
//   webcrypto (node:crypto's): the operator's modules take builtins through
//   process.getBuiltinModule instead.
const probe = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
for (const m of JSON.parse(process.env.MODULES)) await import(m);
const { loadKubeConfig } = await import(${JSON.stringify(join(root, 'src/kube/client.ts'))});
const kc = loadKubeConfig(process.env.KUBECONFIG_PATH, {});
if (kc.getCurrentCluster()?.server !== 'https://127.0.0.1:1') throw new Error('kubeconfig not loaded');
process.stdout.write(JSON.stringify({ packages: loaded.filter((u) => u.includes('/node_modules/')), builtins: process.moduleLoadList }));
`;

const kubeconfig = (user: string) => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority-data: ${Buffer.from('CA').toString('base64')}}}]
users: [{name: u, user: ${user}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

function load(user: string): { packages: string[]; builtins: string[] } {
  const main = readFileSync(join(root, 'src/main.ts'), 'utf8');
  const modules = [...main.matchAll(/^import .* from '(\.[^']+)';$/gm)].map((m) => new URL(m[1]!, `file://${join(root, 'src/')}`).href);
  assert.ok(modules.length > 10, 'main.ts imports parsed');
  const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
  const path = join(dir, 'kubeconfig');
  execFileSync('sh', ['-c', 'cat > "$0"', path], { input: kubeconfig(user) });
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: root, env: { ...process.env, MODULES: JSON.stringify(modules), KUBECONFIG_PATH: path }, encoding: 'utf8',
  });
  execFileSync('rm', ['-rf', dir]);
  return JSON.parse(out) as { packages: string[]; builtins: string[] };
}

const generatedLayer = /\/@kubernetes\/client-node\/dist\/(index\.js|gen\/index\.js|gen\/models\/|gen\/apis\/(?!exception\.js)|gen\/types\/)/;
const kubeConfigAndAuth = /\/@kubernetes\/client-node\/dist\/(config|\w+_auth)\.js|\/node_modules\/(js-yaml|openid-client|jose|socks|socks-proxy-agent|hpagent|jsonpath-plus)\//;
// client-node's fetch: the transport is node:https (src/runtime/kube-http.ts).
const undici = /\/node_modules\/undici\//;
const lazyBuiltins = /^NativeModule (internal\/deps\/undici\/undici|internal\/crypto\/webcrypto)$/;

describe('the operator\'s module graph', () => {
  it('starts on a token or certificate kubeconfig without client-node\'s KubeConfig, its authenticators, generated layer or fetch (undici), or Node\'s bundled undici', () => {
    const { packages, builtins } = load('{token: t}');
    assert.ok(packages.some((u) => u.includes('/node_modules/zod/')), 'the modules were loaded');
    assert.deepEqual(packages.filter((u) => generatedLayer.test(u) || kubeConfigAndAuth.test(u) || undici.test(u)), []);
    assert.deepEqual(builtins.filter((b) => lazyBuiltins.test(b)), []);
  });

  it('loads client-node\'s KubeConfig, still without its generated layer, for a kubeconfig with an exec plugin', () => {
    const { packages } = load('{exec: {apiVersion: client.authentication.k8s.io/v1, command: echo}}');
    assert.ok(packages.some((u) => u.endsWith('/@kubernetes/client-node/dist/config.js')), 'client-node\'s KubeConfig is loaded');
    assert.deepEqual(packages.filter((u) => generatedLayer.test(u)), []);
  });
});

// The Dockerfile cannot be built on the development machines (no container
// engine), so these checks pin what the chart relies on: the uid the chart's
// securityContext names, Node 24, production dependencies only, the entry
// point tsc produces, and a build context without local state. The image
// hack/build-images assembles without Docker (hack/tools/images/specs/operator.json)
// must stay the same image: the last test compares their configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, root } from './helm.ts';

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1).map((s) => `FROM ${s}`);
const runtime = stages.at(-1) ?? '';

test('every stage is Node.js 24 and the runtime stage runs as the uid the chart requires', () => {
  assert.ok(stages.length >= 2, 'multi-stage');
  for (const s of stages) assert.match(s.split('\n')[0]!, /^FROM \S*node(js)?[-:]?24/, s.split('\n')[0]);
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { securityContext: { runAsUser: number }; podSecurityContext: { runAsUser: number } };
  const user = /^USER (\d+)(?::\d+)?$/m.exec(runtime)?.[1];
  assert.equal(Number(user), values.securityContext.runAsUser);
  assert.equal(Number(user), values.podSecurityContext.runAsUser);
});

test('the runtime stage gets production dependencies only and runs dist/main.js', () => {
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(runtime, /COPY --from=prod-deps \S+node_modules/);
  assert.doesNotMatch(runtime, /COPY --from=build \S+node_modules/, 'the build stage has dev dependencies');
  assert.match(runtime, /ENTRYPOINT \["\/nodejs\/bin\/node", ("--[a-z-]+=\w+", )*"dist\/main\.js"\]/);
  const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
  assert.equal(build.compilerOptions.outDir, 'dist');
  assert.equal(build.compilerOptions.rootDir, 'src', 'src/main.ts compiles to dist/main.js');
});

test('the image carries OCI labels', () => {
  for (const label of ['title', 'version', 'revision', 'created', 'licenses']) {
    assert.match(runtime, new RegExp(`org\\.opencontainers\\.image\\.${label}=`), label);
  }
});

test('.dockerignore sends only sources and manifests, never node_modules, .git or local clusters', () => {
  const lines = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '*', 'ignore everything, then allow');
  const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
  for (const p of allowed) assert.ok(!/node_modules|\.git|\.cluster|dist/.test(p), `${p} must not be sent`);
  for (const copied of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/']) {
    assert.ok(allowed.includes(copied), `${copied} is COPY'd, so it must be allowed`);
  }
});

/**
 * The runtime stage's image config as `docker build` would write it, from the
 * instructions that set one: LABEL, ENV, WORKDIR, USER, ENTRYPOINT, CMD, EXPOSE.
 * Build-arg references stay as written (`${VERSION}`), as in the pack spec.
 */
function dockerfileConfig(stage: string) {
  const config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; Env: string[]; WorkingDir?: string; Labels: Record<string, string>; ExposedPorts: Record<string, object> } = { Env: [], Labels: {}, ExposedPorts: {} };
  const instructions = stage.replace(/\\\n/g, ' ').split('\n').filter((l) => /^[A-Z]+ /.test(l));
  for (const line of instructions) {
    const [op, rest = ''] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1).trim()];
    const pairs = () => [...rest.matchAll(/([\w.-]+)=("((?:[^"\\]|\\.)*)"|\S+)/g)].map((m) => [m[1]!, m[3] ?? m[2]!] as const);
    if (op === 'LABEL') for (const [k, v] of pairs()) config.Labels[k] = v;
    if (op === 'ENV') for (const [k, v] of pairs()) config.Env.push(`${k}=${v}`);
    if (op === 'WORKDIR') config.WorkingDir = rest;
    if (op === 'USER') config.User = rest;
    if (op === 'ENTRYPOINT') config.Entrypoint = JSON.parse(rest) as string[];
    if (op === 'CMD') config.Cmd = JSON.parse(rest) as string[];
    if (op === 'EXPOSE') for (const p of rest.split(/\s+/)) config.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
  }
  return config;
}

test('the image hack/build-images packs without Docker is the image the Dockerfile describes: user, entrypoint, workdir, env, labels, ports', () => {
  const spec = JSON.parse(readFileSync(join(root, 'hack/tools/images/specs/operator.json'), 'utf8')) as { config: Record<string, unknown> & { Labels: Record<string, string> } };
  const docker = dockerfileConfig(runtime);
  // The Dockerfile's image has a base (distroless) and says so; the packed one has none.
  const { 'org.opencontainers.image.base.name': base, ...labels } = docker.Labels;
  assert.match(base ?? '', /^gcr\.io\/distroless\/nodejs24/);
  assert.deepEqual(spec.config, { ...docker, Labels: labels });
});

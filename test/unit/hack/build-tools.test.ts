import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// hack/build-tools with names builds only those: hack/cluster asks for the
// binaries a cluster runs, so a fresh machine's cluster never waits for
// promtool (the longest build, which no cluster runs). Run against a scratch
// cache where every tool but promtool is "built", with no Go on PATH: asking
// for promtool, or for everything, would have to build and fails.

const root = join(import.meta.dirname, '../../..');
const script = join(root, 'hack/build-tools');
const versions = Object.fromEntries(readFileSync(join(root, 'hack/tools/versions.env'), 'utf8').split('\n')
  .map((l) => /^([A-Z_]+)=(\S+)/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, '')]));

function scratchCache(): string {
  const cache = mkdtempSync(join(tmpdir(), 'build-tools-'));
  const k = versions.KUBERNETES_VERSION!;
  const tools: [string, string][] = [['etcd', versions.ETCD_VERSION!], ['kwok', versions.KWOK_VERSION!], ['helm', versions.HELM_VERSION!],
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kubelet', 'kube-proxy'].map((n): [string, string] => [n, k])];
  for (const [name, version] of tools) {
    mkdirSync(join(cache, 'tool', `${name}-${version}`), { recursive: true });
    writeFileSync(join(cache, 'tool', `${name}-${version}`, name), '#!/bin/sh\n');
    chmodSync(join(cache, 'tool', `${name}-${version}`, name), 0o755);
  }
  // the scratch module exists, so no `go mod init` is needed for names that are built already
  mkdirSync(join(cache, 'tool', '.scratch'), { recursive: true });
  writeFileSync(join(cache, 'tool', '.scratch', 'go.mod'), 'module scratch\n');
  return cache;
}

function run(cache: string, args: string[]) {
  return spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: cache, AGENT_OPERATOR_CACHE: cache } });
}

describe('hack/build-tools', () => {
  it('with the cluster\'s names, links those and builds nothing else (promtool missing)', () => {
    const cache = scratchCache();
    try {
      const r = run(cache, ['etcd', 'kube-apiserver', 'kwok']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /\/bin\/k8s-/);
      assert.doesNotMatch(r.stderr, /promtool/);
    } finally { rmSync(cache, { recursive: true, force: true }); }
  });

  it('without names it builds everything, so the missing promtool is attempted (and fails here without Go)', () => {
    const cache = scratchCache();
    try {
      const r = run(cache, []);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /installing promtool/);
    } finally { rmSync(cache, { recursive: true, force: true }); }
  });

  it('make demo, cluster-up, run, the benches and chaos ask only for a cluster\'s binaries, which build with promtool missing', () => {
    const clusterOnly = 'etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok';
    for (const target of ['demo', 'cluster-up', 'run', 'bench', 'bench-node-loss', 'chaos']) {
      const r = spawnSync('make', ['-n', '-C', root, target], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const builds = r.stdout.split('\n').filter((l) => l.includes('hack/build-tools') && !l.includes('--print'));
      assert.deepEqual(builds, [`hack/build-tools ${clusterOnly} >/dev/null`], `make ${target} builds only what a cluster runs`);
    }
    const cache = scratchCache();
    try {
      const r = run(cache, clusterOnly.split(' '));
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /installing/, 'nothing is built');
    } finally { rmSync(cache, { recursive: true, force: true }); }
  });

  it('refuses a name it does not know, naming the known ones', () => {
    const cache = scratchCache();
    try {
      const r = run(cache, ['kube-apiservr']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /no tool named kube-apiservr \(known: etcd kube-apiserver/);
    } finally { rmSync(cache, { recursive: true, force: true }); }
  });
});

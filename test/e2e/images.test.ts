// The real node's images, built by hack/build-images without Docker, run for
// real: imported into a throwaway containerd of this file's own and started
// with runc. The pause image holds a sandbox; the test agent does every
// behaviour the real-node tests drive (probes, config and Secret digests,
// start count on its volume, OOM under a real memory limit, exit codes, slow
// start); Debian's node_exporter serves metrics; the operator's image runs the
// pinned Node 24 and the built app as 65532 on a read-only root. Skipped with
// the reason printed where containerd cannot run (not root, not installed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, run } from '../support/cluster.ts';
import { Containerd, containerdUnavailable } from '../support/containerd.ts';
import { freePort } from '../support/free-port.ts';
import { eventually } from '../support/wait.ts';

const BUILD_TIMEOUT = 15 * 60_000; // a first operator build runs npm ci and tsc on a loaded machine
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function unavailable(): string | undefined {
  return containerdUnavailable() ?? (existsSync('/usr/bin/prometheus-node-exporter') ? undefined : 'prometheus-node-exporter is not installed (apt-get install --no-install-recommends prometheus-node-exporter)');
}

const skip = unavailable();
if (skip) console.log(`# images: skipped: ${skip}`);

/** hack/build-images [--operator]: its folder and the NAME_IMAGE references in its images.env. */
async function build(args: string[]): Promise<{ dir: string; env: Record<string, string> }> {
  const r = await run(join(repoRoot, 'hack/build-images'), args, { timeoutMs: BUILD_TIMEOUT, echo: true });
  assert.equal(r.code, 0, `hack/build-images ${args.join(' ')} failed:\n${r.stderr}`);
  const dir = r.stdout.trim();
  const env = Object.fromEntries(readFileSync(join(dir, 'images.env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { dir, env };
}

interface AgentInfo {
  version: string;
  uid: number;
  gid: number;
  starts: number;
  stateError?: string;
  config: { path: string; sha256?: string; keys: string[]; values: Record<string, string>; error?: string };
  secret?: { env: string; set: boolean; sha256?: string };
  ready: string;
  live: string;
}

describe('images for the real node', { skip }, () => {
  const containerd = new Containerd();
  const images: Record<string, string> = {};

  before(async () => {
    const [test, operator] = [await build([]), await build(['--operator'])];
    Object.assign(images, test.env, operator.env);
    await containerd.start();
    for (const tar of ['pause', 'agent', 'node-exporter']) await containerd.import(join(test.dir, `${tar}.tar`));
    await containerd.import(join(operator.dir, 'operator.tar'));
  }, { timeout: 2 * BUILD_TIMEOUT });
  after(() => containerd.stop(), { timeout: 60_000 });

  it('imports every image, complete, under the reference images.env gives, with the image ID it gives', async () => {
    const [refs, content, check] = [await containerd.ctr(['images', 'ls']), await containerd.ctr(['content', 'ls', '-q']), await containerd.ctr(['images', 'check'])];
    for (const name of ['PAUSE', 'AGENT', 'NODE_EXPORTER', 'OPERATOR']) {
      const ref = images[`${name}_IMAGE`] ?? '';
      assert.match(ref, /^agent-operator\.local\/[a-z-]+:[\w.-]+$/);
      assert.ok(refs.stdout.split('\n').some((l) => l.startsWith(`${ref} `)), `${ref} is imported:\n${refs.stdout}`);
      // the image ID is the config's digest: what CRI reports as the container's imageID
      assert.ok(content.stdout.split('\n').includes(images[`${name}_IMAGE_ID`] ?? '-'), `${name}_IMAGE_ID is in the content store`);
    }
    assert.doesNotMatch(check.stdout, /incomplete|missing/);
  });

  it('the pause image holds the sandbox as 65535 and exits 0 on SIGTERM', async () => {
    const c = containerd.startContainer(images.PAUSE_IMAGE ?? '', { readOnlyRoot: true });
    const pid = await containerd.pid(c.id);
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65535\s/m);
    await containerd.signal(c.id, 'SIGTERM');
    assert.equal((await c.exited).code, 0);
  });

  describe('the agent image', () => {
    const secret = 'not-a-real-token-4f1c';
    const config = 'logLevel: debug\noutputs:\n  elastic:\n    host: es.example\n    port: 9200\ninputs:\n  - syslog\n';
    let state = '';
    let configDir = '';
    before(() => {
      state = containerd.volume('agent-state', 65532); // the operator's PVC, writable by the image's user
      configDir = containerd.volume('agent-config');
      writeFileSync(join(configDir, 'config.yaml'), config);
    });

    async function startAgent(env: Record<string, string> = {}) {
      const port = await freePort();
      const c = containerd.startContainer(images.AGENT_IMAGE ?? '', {
        hostNetwork: true,
        readOnlyRoot: true,
        env: { AGENT_PORT: String(port), SECRET_ENV: 'API_TOKEN', API_TOKEN: secret, ...env },
        mounts: [
          { source: state, destination: '/var/lib/agent' },
          { source: configDir, destination: '/etc/agent', readOnly: true },
        ],
      });
      const url = (path: string) => `http://127.0.0.1:${port}${path}`;
      const info = async () => (await (await fetch(url('/info'))).json()) as AgentInfo;
      return { ...c, url, info };
    }

    it('runs as 65532 on a read-only root and reports the config digest and keys, the Secret digest and its start on /info', async () => {
      const agent = await startAgent();
      const info = await eventually(agent.info, { timeoutMs: 30_000, message: 'the agent serves /info' });
      assert.equal(info.uid, 65532);
      assert.equal(info.gid, 65532);
      assert.equal(info.starts, 1, info.stateError);
      assert.deepEqual(info.config, {
        path: '/etc/agent/config.yaml',
        sha256: sha256(config),
        keys: ['inputs', 'logLevel', 'outputs.elastic.host', 'outputs.elastic.port'],
        values: { inputs: '[...]', logLevel: 'debug', 'outputs.elastic.host': 'es.example', 'outputs.elastic.port': '9200' },
      });
      assert.deepEqual(info.secret, { env: 'API_TOKEN', set: true, sha256: sha256(secret) });
      assert.equal((await fetch(agent.url('/readyz'))).status, 200);
      assert.equal((await fetch(agent.url('/healthz'))).status, 200);

      await containerd.signal(agent.id, 'SIGTERM');
      const exited = await agent.exited;
      assert.equal(exited.code, 0, 'SIGTERM is a clean stop');
      assert.match(exited.stdout, /"msg":"info".*"starts":1/);
      assert.match(exited.stdout, /"msg":"stopping","signal":"terminated"/);
      assert.ok(!exited.stdout.includes(secret) && !exited.stderr.includes(secret), 'the Secret value is never logged');
    });

    it('counts a second start on the same volume, and a probe flipped through the control file stays flipped across the restart', async () => {
      const first = await startAgent();
      await eventually(first.info, { timeoutMs: 30_000 });
      const flip = await fetch(first.url('/control'), { method: 'POST', body: 'ready=fail\nlive=hang\n' });
      assert.equal(flip.status, 204);
      assert.equal((await fetch(first.url('/readyz'))).status, 503);
      await assert.rejects(fetch(first.url('/healthz'), { signal: AbortSignal.timeout(500) }), /TimeoutError|aborted/, 'a hanging liveness probe never answers');
      await containerd.signal(first.id);
      await first.exited;

      const second = await startAgent();
      const info = await eventually(second.info, { timeoutMs: 30_000 });
      assert.equal(info.starts, 3); // the previous test's start, the first and this one
      assert.equal((await fetch(second.url('/readyz'))).status, 503, 'the control file on the volume survives the restart');
      assert.equal(readFileSync(join(state, 'control'), 'utf8'), 'ready=fail\nlive=hang\n');
      await containerd.signal(second.id);
      await second.exited;
      writeFileSync(join(state, 'control'), '');
    });

    it('is OOM-killed by the kernel when it allocates more than its memory limit, and runs when it fits', async () => {
      const limit = 64 * 1024 * 1024;
      const oom = await containerd.runContainer(images.AGENT_IMAGE ?? '', { memoryLimitBytes: limit, env: { AGENT_ALLOC_MIB: '200', AGENT_STATE_DIR: '/tmp' } });
      assert.equal(oom.code, 137, `SIGKILL from the OOM killer:\n${oom.stdout}`);
      assert.match(oom.stdout, /"msg":"allocating","MiB":200/);
      assert.doesNotMatch(oom.stdout, /"msg":"allocated"/);

      const fits = await containerd.runContainer(images.AGENT_IMAGE ?? '', { memoryLimitBytes: limit, env: { AGENT_ALLOC_MIB: '20', AGENT_EXIT_AFTER: '300ms', AGENT_STATE_DIR: '/tmp' } });
      assert.equal(fits.code, 0, fits.stdout);
      assert.match(fits.stdout, /"msg":"allocated","MiB":20/);
    });

    it('exits with the configured code after the configured delay, and starts listening only after its start delay', async () => {
      const started = Date.now();
      const exit = await containerd.runContainer(images.AGENT_IMAGE ?? '', { env: { AGENT_EXIT_CODE: '3', AGENT_EXIT_AFTER: '500ms', AGENT_STATE_DIR: '/tmp' } });
      assert.equal(exit.code, 3);
      assert.ok(Date.now() - started >= 500);

      const launched = Date.now();
      const slow = await startAgent({ AGENT_START_DELAY: '2s' });
      const listening = await eventually(async () => (await fetch(slow.url('/healthz'))).status === 200 && Date.now(), { timeoutMs: 30_000, intervalMs: 100 });
      assert.ok(listening - launched >= 2_000, `answered ${listening - launched} ms after the launch, before its start delay`);
      await containerd.signal(slow.id);
      await slow.exited;
    });
  });

  it('node_exporter from Debian runs as nobody and serves real metrics', async () => {
    const version = await containerd.runContainer(images.NODE_EXPORTER_IMAGE ?? '', { args: ['/bin/node_exporter', '--version'] });
    assert.equal(version.code, 0, version.stderr);
    assert.match(`${version.stdout}${version.stderr}`, /node_exporter, version 1\.\d+\.\d+/);

    const port = await freePort();
    const c = containerd.startContainer(images.NODE_EXPORTER_IMAGE ?? '', { hostNetwork: true, readOnlyRoot: true, args: ['/bin/node_exporter', `--web.listen-address=127.0.0.1:${port}`] });
    const metrics = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), { timeoutMs: 30_000 });
    assert.match(metrics, /^node_exporter_build_info\{/m);
    assert.match(metrics, /^node_cpu_seconds_total\{/m);
    assert.match(readFileSync(`/proc/${await containerd.pid(c.id)}/status`, 'utf8'), /^Uid:\s+65534\s/m);
    await containerd.signal(c.id);
    await c.exited;
  });

  it('the operator image runs the pinned Node 24 and the built app as 65532 on a read-only root', async () => {
    const image = images.OPERATOR_IMAGE ?? '';
    const node = await containerd.runContainer(image, { readOnlyRoot: true, args: ['/nodejs/bin/node', '-p', '`${process.version} ${process.getuid()} ${require("node:os").userInfo().username} ${process.cwd()} ${process.env.NODE_ENV}`'] });
    assert.equal(node.code, 0, node.stderr);
    assert.equal(node.stdout.trim(), `${process.version} 65532 nonroot /app production`);

    const help = await containerd.runContainer(image, { readOnlyRoot: true, args: ['/nodejs/bin/node', 'dist/main.js', '--help'] });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--leader-elect/);

    // its own entrypoint, outside a cluster: every module of dist/ and node_modules
    // loads (ESM resolves the whole import graph first), then it asks for a cluster
    const entrypoint = await containerd.runContainer(image, { readOnlyRoot: true });
    assert.notEqual(entrypoint.code, 0);
    assert.match(entrypoint.stderr, /no Kubernetes configuration: set KUBECONFIG/);
  });

  it('stopping the throwaway containerd leaves no process, mount, directory or cgroup behind', async () => {
    const dir = containerd.dir;
    await containerd.stop();
    assert.deepEqual(containerd.processes(), []);
    assert.deepEqual(containerd.mounts(), []);
    assert.deepEqual(containerd.cgroups(), []);
    assert.equal(existsSync(dir), false);
  });
});

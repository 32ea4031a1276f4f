// `kubectl agent` end to end: kubectl itself finds the plugin on PATH (krew's
// convention), the plugin reads the cluster through kubectl, and hold, resume
// and rollback reach the operator as annotations it honours. One operator;
// the two Agents' scenarios run side by side.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { useCluster, repoRoot } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { apply, getAgent, patchAgentSpec, waitForCondition, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
let ns: string;
let pluginDir: string;

/**
 * The plugin as users get it: the single executable `make plugin` builds when
 * KUBECTL_AGENT names it, else a launcher running the TypeScript with this Node.
 */
function installPlugin(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-agent-'));
  const bin = join(dir, 'kubectl-agent');
  const built = process.env.KUBECTL_AGENT;
  if (built && existsSync(built)) writeFileSync(bin, `#!/bin/sh\nexec "${built}" "$@"\n`);
  else writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'src/cli/main.ts')}" "$@"\n`);
  chmodSync(bin, 0o755);
  return dir;
}

/** `kubectl agent ARGS -n ns`, through kubectl's plugin lookup. */
function kubectlAgent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(cluster().binDir, 'kubectl'), ['agent', ...args, '-n', ns], {
      env: { ...process.env, KUBECONFIG: cluster().kubeconfigPath, PATH: `${pluginDir}${delimiter}${cluster().binDir}${delimiter}${process.env.PATH}` },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectlAgent(args);
  assert.equal(r.code, 0, `kubectl agent ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const agent = (name: string, image: string) => `
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata:
  name: ${name}
spec:
  image: ${image}
  replicas: 1
  ports: [{ name: http, containerPort: 8080 }]
`;

describe('kubectl agent', () => {
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'plugin');
    pluginDir = installPlugin();
    const dir = pluginDir;
    cluster().onTeardown(() => rmSync(dir, { recursive: true, force: true }));
    await startOperator(cluster(), { namespaces: [ns] });
  });

  it('is found by kubectl and explains itself', async () => {
    const help = await ok(['--help']);
    assert.match(help, /kubectl agent status \[NAME\]/);
    const bad = await kubectlAgent(['why']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /why needs the Agent's name/);
  });

  it('shows the tree and history, rolls back to a chosen revision and forward again, and holds and resumes', async () => {
    await Promise.all([
      (async () => {
        await apply(cluster(), ns, { yaml: agent('roller', 'registry.example/roller:1.0.0') });
        const v1 = (await waitReady(cluster(), ns, 'roller')).status!.revision!;
        await patchAgentSpec(cluster(), ns, 'roller', { image: 'registry.example/roller:2.0.0' });
        const v2 = (await waitReady(cluster(), ns, 'roller')).status!.revision!;
        assert.notEqual(v1, v2);
        // a revision is recorded healthy after a healthy stretch (HEALTHY_AFTER_SECONDS)
        await eventually(async () => (await getAgent(cluster(), ns, 'roller')).status?.lastHealthyRevision === v2, { message: 'v2 recorded healthy' });

        const history = JSON.parse(await ok(['history', 'roller', '-o', 'json'])) as { revision: string; changed: string; running: boolean; healthy: string }[];
        assert.deepEqual(history.map((h) => [h.revision, h.running, h.healthy]), [[v1, false, ''], [v2, true, 'yes']]);
        assert.equal(history[1]!.changed, 'image registry.example/roller:1.0.0 → registry.example/roller:2.0.0');
        assert.match(await ok(['history', 'roller']), new RegExp(`${v2}.*running`));

        const tree = await ok(['status', 'roller']);
        assert.match(tree, new RegExp(`^Agent ${ns}/roller  Running  ready 1/1  revision ${v2}`));
        assert.match(tree, new RegExp(`revision ${v2} \\(ReplicaSet roller-\\w+\\)  \\[running, spec, last healthy\\]  1 pod`));
        assert.match(tree, /pod roller-\S+  Running  ready  restarts 0/);

        const back = await ok(['rollback', 'roller', '--to', v1]);
        assert.match(back, new RegExp(`rollback to revision ${v1} requested`));
        const rolled = await waitForCondition(cluster(), ns, 'roller', 'Degraded', 'True', { reason: 'RolledBack' });
        assert.deepEqual([rolled.status?.recovery?.rolledBackTo, rolled.status?.recovery?.rolledBackFrom, rolled.spec.image], [v1, v2, 'registry.example/roller:2.0.0']);
        await eventually(async () => (await cluster().apps.readNamespacedDeployment({ name: 'roller', namespace: ns })).spec?.template.spec?.containers[0]?.image === 'registry.example/roller:1.0.0',
          { message: 'the Deployment runs the chosen revision' });
        const story = await ok(['why', 'roller']);
        assert.match(story, /The operator rolled back: rolled back on request \(agent-operator.dev\/rollback\): running revision/);
        assert.match(story, /In force: rollback: running revision/);

        await ok(['rollback', 'roller', '--to', v2]);
        await waitForCondition(cluster(), ns, 'roller', 'Ready', 'True');
        const forward = await getAgent(cluster(), ns, 'roller');
        assert.equal(forward.status?.recovery?.rolledBackTo, undefined);
        assert.equal(forward.status?.image, 'registry.example/roller:2.0.0');
      })(),
      (async () => {
        await apply(cluster(), ns, { yaml: agent('holder', 'registry.example/holder:1.0.0') });
        await waitReady(cluster(), ns, 'holder');
        assert.match(await ok(['hold', 'holder']), /remediation paused until `kubectl agent resume holder`/);
        const held = await getAgent(cluster(), ns, 'holder');
        assert.match(held.metadata.annotations?.['agent-operator.dev/hold'] ?? '', /^by=\S+ at=\d{4}-/);
        assert.equal(held.spec.image, 'registry.example/holder:1.0.0', 'the spec is untouched');
        const status = JSON.parse(await ok(['status', 'holder', '-o', 'json'])) as { remediation: string[] };
        assert.match(status.remediation.join('\n'), /remediation paused by agent-operator.dev\/hold/);
        await ok(['resume', 'holder']);
        const resumed = await getAgent(cluster(), ns, 'holder');
        assert.equal(resumed.metadata.annotations?.['agent-operator.dev/hold'], undefined);
        assert.match(resumed.metadata.annotations?.['agent-operator.dev/resume'] ?? '', /^at=\d{4}-/);
        await waitReady(cluster(), ns, 'holder');
      })(),
    ]);
  });

  it('lists every Agent of the namespace, and refuses a rollback to a revision that does not exist with the operator\'s event', async () => {
    const all = JSON.parse(await ok(['status', '-o', 'json'])) as { agent: string }[];
    assert.deepEqual(all.map((t) => t.agent), [`${ns}/holder`, `${ns}/roller`]);
    await ok(['rollback', 'holder', '--to', 'nosuchrev']);
    await eventually(async () => /The operator refused a request: agent-operator.dev\/rollback asks for revision nosuchrev, which the Agent's workload does not keep/.test(await ok(['why', 'holder'])),
      { message: 'RequestRefused in the timeline' });
  });

  it('shows a DaemonSet Agent\'s workload and its revisions, which the DaemonSet keeps in ControllerRevisions', async () => {
    await apply(cluster(), ns, { yaml: `
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata:
  name: nodes
spec:
  image: registry.example/node-agent:1
  mode: DaemonSet
` });
    let tree = '';
    await eventually(async () => {
      tree = await ok(['status', 'nodes']);
      return /ControllerRevision nodes-/.test(tree);
    }, { message: 'the revision under the DaemonSet in kubectl agent status' });
    assert.match(tree, /└─ DaemonSet nodes {2}ready \d+\/\d+ {2}updated \d+/);
    assert.doesNotMatch(tree, /no Deployment/);
    const rows = JSON.parse(await ok(['history', 'nodes', '-o', 'json'])) as { revision: string; number: number; changed: string }[];
    const status = (JSON.parse(await ok(['status', 'nodes', '-o', 'json'])) as { mode: string; revision: string });
    assert.equal(status.mode, 'DaemonSet');
    assert.deepEqual(rows.map((r) => [r.number, r.revision, r.changed]), [[1, status.revision, 'first revision']]);
  });
});

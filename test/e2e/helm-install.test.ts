// The Helm chart installed for real on the local control plane: every object
// it renders is accepted by the apiserver, its pods pass Pod Security
// "restricted", its ServiceAccount's permissions are enough for the operator
// to do its whole job (no 403), it upgrades from the previous chart version,
// and uninstalling it keeps the CRD and the Agents.
//
// kwok runs the chart's pods without pulling an image, so they only prove
// admission and scheduling; the operator itself runs out of cluster with the
// chart ServiceAccount's token, which is what its RBAC is about.
// e2e: runs alone (its cluster-mode release runs an operator that watches every namespace)
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot, useCluster, type Cluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { startOperator, type RunningOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';
import { auditUnavailable, auditWrites } from '../support/audit.ts';
import { adoptCRD, chartCopy, chartDir, crdEstablished, crdName, helm, helmOk, releaseName, renderChart, serviceAccountKubeconfig } from '../support/helm.ts';

const cluster = useCluster();

// Nothing can be pulled here; kwok "runs" any image.
const imageValues = ['--set', 'image.repository=registry.invalid/agent-operator', '--set', 'image.tag=e2e'];
const chartVersion = (parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string }).version;

interface Obj { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number }; spec?: unknown; status?: Record<string, unknown> }

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await cluster().kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout;
}

async function getJson<T = Obj>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(['get', ...args, '-o', 'json'])) as T;
}

/** A namespace (deleted in the file's teardown) labelled to enforce Pod Security "restricted". */
async function restrictedNamespace(prefix: string): Promise<string> {
  const ns = await testNamespace(cluster(), prefix);
  await kubectlOk(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
  return ns;
}

/**
 * helm install, uninstalled again when the test ends (one cluster-mode release
 * at a time: the chart refuses a second) and, should that fail, in the file's
 * teardown (before its namespace goes: the release record lives there, and
 * the ClusterRole would leak).
 */
async function install(t: TestContext, release: string, namespace: string, values: string[] = [], chart = chartDir): Promise<string> {
  await adoptCRD(cluster(), release, namespace);
  const uninstall = () => helm(cluster(), ['uninstall', release, '-n', namespace, '--ignore-not-found']);
  t.after(uninstall);
  cluster().onTeardown(uninstall);
  const out = await helmOk(cluster(), ['install', release, chart, '-n', namespace, ...imageValues, ...values]);
  await crdEstablished(cluster()); // on a fresh cluster this install created it
  return out;
}

/** The chart's own LEASE_NAME, read from the Deployment it installed. */
async function leaseName(release: string, namespace: string): Promise<string> {
  const d = await cluster().apps.readNamespacedDeployment({ name: release, namespace });
  const env = d.spec?.template.spec?.containers[0]?.env ?? [];
  const lease = env.find((e) => e.name === 'LEASE_NAME')?.value;
  assert.ok(lease, 'the chart sets LEASE_NAME');
  return lease;
}

async function agent(ns: string, name: string): Promise<Obj> {
  return getJson(['agent', name, '-n', ns]);
}

function readyCondition(a: Obj) {
  return (a.status?.conditions as { type: string; status: string; reason?: string; observedGeneration?: number }[] | undefined)?.find((c) => c.type === 'Ready');
}

/** Ready=True, observed for the Agent's current generation. */
async function waitReady(ns: string, name: string): Promise<Obj> {
  return eventually(async () => {
    const a = await agent(ns, name);
    const ready = readyCondition(a);
    assert.equal(a.status?.observedGeneration, a.metadata.generation, 'status.observedGeneration is current');
    assert.equal(ready?.observedGeneration, a.metadata.generation, 'Ready is about the current generation');
    assert.equal(ready?.status, 'True', `Ready=${ready?.status} (${ready?.reason})`);
    return a;
  }, { timeoutMs: 90_000, message: `Agent ${ns}/${name} Ready=True at its current generation` });
}

async function podNames(ns: string, selector: string): Promise<string[]> {
  const pods = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: selector });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running').map((p) => p.metadata!.name!).sort();
}

/**
 * The core scenario, with whatever identity the operator runs as: both
 * examples Ready at their current generation, and a rotated Secret rolls the
 * forwarder's pods to a new revision.
 */
async function coreScenario(ns: string): Promise<void> {
  await kubectlOk(['apply', '-n', ns, '-f', join(repoRoot, 'examples/01-log-forwarder.yaml'), '-f', join(repoRoot, 'examples/02-metrics-collector.yaml')]);
  const forwarder = await waitReady(ns, 'log-forwarder');
  const collector = await waitReady(ns, 'metrics-collector');
  assert.equal(collector.status?.readyText, '2/2');

  const selector = String(forwarder.status?.selector);
  const before = await podNames(ns, selector);
  assert.equal(before.length, 1, `one forwarder pod before the rotation: ${before.join(', ')}`);
  await kubectlOk(['patch', 'secret', 'log-forwarder-credentials', '-n', ns, '--type=merge', '-p', JSON.stringify({ stringData: { token: 'rotated-token' } })]);
  const rotated = await eventually(async () => {
    const a = await waitReady(ns, 'log-forwarder');
    assert.notEqual(a.status?.revision, forwarder.status?.revision, 'a new revision after the rotation');
    const now = await podNames(ns, selector);
    assert.equal(now.length, 1, `pods: ${now.join(', ')}`);
    assert.ok(!before.includes(now[0]!), `pod ${now[0]} is the one from before the rotation`);
    return a;
  }, { timeoutMs: 90_000, message: 'the forwarder rolled to a new revision after the Secret rotation' });
  assert.equal(rotated.metadata.generation, 1, 'a Secret rotation is not a spec change');
}

/** Whether an object exists, by kubectl get (NotFound is no; any other failure throws). */
async function exists(kind: string, name: string, ns: string): Promise<boolean> {
  const r = await cluster().kubectl(['get', kind, name, '-n', ns, '-o', 'name']);
  if (r.code === 0) return true;
  if (/NotFound/.test(r.stderr)) return false;
  throw new Error(`kubectl get ${kind} ${name} failed: ${r.stderr}`);
}

/**
 * The ordinary edits that make the operator delete what it owns (plan.ts
 * remove): ClusterIP -> Headless (clusterIP is immutable: delete and
 * re-create), 2 replicas -> 1 (the PDB goes), the config removed (its
 * ConfigMaps stay while a ReplicaSet mounts them: rollback targets, see
 * config-gc.ts), the ports removed (the Service goes). Each must reach
 * Ready at its new generation: a delete the chart's RBAC does not grant
 * fails before the status write and the Agent would freeze.
 */
async function editsThatDelete(ns: string): Promise<void> {
  const name = 'editor';
  const spec = {
    image: 'registry.invalid/agent:1',
    replicas: 2,
    ports: [{ name: 'metrics', containerPort: 9100 }],
    config: { fileName: 'agent.yaml', layers: [{ inline: { level: 'info' } }] },
  };
  const applyAgent = (s: Record<string, unknown>) =>
    kubectlOk(['apply', '--server-side', '--field-manager=e2e', '-n', ns, '-f', '-'], stringify({ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: s }));
  const present = async () => ({
    service: await exists('service', name, ns), pdb: await exists('pdb', name, ns),
    configMap: (await cluster().core.listNamespacedConfigMap({ namespace: ns, labelSelector: `agent-operator.dev/agent=${name}` })).items.length > 0,
  });
  await applyAgent(spec);
  await waitReady(ns, name);
  assert.deepEqual(await present(), { service: true, pdb: true, configMap: true });
  const clusterIP = async () => (await cluster().core.readNamespacedService({ name, namespace: ns })).spec?.clusterIP;
  assert.notEqual(await clusterIP(), 'None');

  const headless = { ...spec, service: { type: 'Headless' } };
  await applyAgent(headless);
  await waitReady(ns, name);
  // The reconcile that wrote this status deleted the Service; the next one re-creates it.
  await eventually(async () => assert.equal(await clusterIP(), 'None'), { message: 'the Service re-created headless' });

  const { replicas: _two, ...oneReplica } = headless;
  await applyAgent(oneReplica);
  await waitReady(ns, name);
  const { config: _config, ...noConfig } = oneReplica;
  await applyAgent(noConfig);
  await waitReady(ns, name);
  const { ports: _ports, ...noPorts } = noConfig;
  await applyAgent(noPorts);
  await waitReady(ns, name);
  assert.deepEqual(await present(), { service: false, pdb: false, configMap: true }, 'each object the spec stopped asking for is gone, but for the config an older ReplicaSet still mounts');
}

/**
 * What the operator logged that would mean missing permissions: an RBAC
 * denial anywhere ('User "…" cannot list resource …'), and any forbidden/403 or
 * error line about this test's Agents or about no Agent at all (informers,
 * leader election). Other lines about Agents in other namespaces are left out:
 * a cluster-wide operator also sees what other test files leave behind in
 * namespaces being deleted, where writes are refused (403, "being terminated")
 * for reasons that have nothing to do with RBAC.
 */
function permissionProblems(op: RunningOperator, ns: string): string[] {
  return op.logs().filter((l) => {
    const text = JSON.stringify(l);
    if (/cannot [a-z]+ resource/.test(text)) return true;
    // reconcile lines carry the Agent as namespace + name, event-recorder lines as agent: "ns/name"
    const agentNs = typeof l.agent === 'string' ? l.agent.split('/')[0] : l.controller !== undefined && typeof l.namespace === 'string' ? l.namespace : undefined;
    if (agentNs !== undefined && agentNs !== ns) return false;
    const isError = l.level === 'error' || l.level === 'fatal' || (typeof l.level === 'number' && l.level >= 50);
    return isError || /forbidden|\b403\b/i.test(text);
  }).map((l) => `${String(l.level)} ${String(l.msg)}: ${String((l.err as { message?: unknown } | undefined)?.message ?? '')}`.slice(0, 300));
}

/**
 * Writes by the ServiceAccount that the authorizer refused (from the audit log;
 * reads are not audited). Only RBAC's "forbid" counts: a 403 from admission
 * (a namespace being deleted) is not about permissions.
 */
async function refusedWrites(c: Cluster, username: string, since: Date): Promise<string[] | undefined> {
  const writes = await auditWrites(c, { username, since });
  return writes?.filter((w) => (w as { annotations?: Record<string, string> }).annotations?.['authorization.k8s.io/decision'] === 'forbid')
    .map((w) => `${w.verb} ${w.requestURI}`);
}

/** Starts the operator as the release's ServiceAccount, runs the core scenario in ns and checks nothing was refused. */
async function runAsServiceAccount(release: string, releaseNs: string, watch: string[], ns: string): Promise<void> {
  const since = new Date();
  const kubeconfigPath = await serviceAccountKubeconfig(cluster(), release, releaseNs);
  const denied = await cluster().kubectl(['--kubeconfig', kubeconfigPath, 'get', 'nodes']);
  assert.notEqual(denied.code, 0, 'the token is the ServiceAccount, not the admin: it may not list nodes');
  assert.match(denied.stderr, /forbidden/);

  const op = await startOperator(cluster(), {
    namespaces: watch, kubeconfigPath, leaderElect: true, leaseNamespace: releaseNs, leaseName: await leaseName(release, releaseNs),
  });
  try {
    const started = op.logs().find((l) => l.msg === 'agent-operator starting');
    assert.deepEqual(started?.namespaces, watch.length ? watch : 'all', 'cluster mode watches every namespace, namespaced mode only its own');
    // Different Agents (the examples; "editor"): at once, so their waits overlap in this runs-alone file.
    await Promise.all([coreScenario(ns), editsThatDelete(ns)]);
    const lease = await cluster().kubectl(['get', 'lease', await leaseName(release, releaseNs), '-n', releaseNs, '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.ok(lease.stdout.trim(), 'the operator holds the chart\'s Lease in the release namespace');
    const problems = permissionProblems(op, ns);
    assert.deepEqual(problems.slice(0, 5), [], `the operator logged no forbidden/403 and no error (${problems.length} lines)`);
    if (!auditUnavailable(cluster())) {
      assert.deepEqual(await refusedWrites(cluster(), `system:serviceaccount:${releaseNs}:${release}`, since), [], 'the apiserver refused no write of the ServiceAccount');
    }
  } finally {
    await op.stop();
  }
}

describe('the Helm chart on a real apiserver', () => {
  it('renders only objects the apiserver accepts (server-side dry run), in cluster and in namespaced mode', async () => {
    const releaseNs = await testNamespace(cluster(), 'helm-dry-run');
    const teamA = await testNamespace(cluster(), 'helm-dry-run-a');
    const teamB = await testNamespace(cluster(), 'helm-dry-run-b');
    const release = releaseName();
    for (const values of [[], ['--set', `watchNamespaces={${teamA},${teamB}}`]]) {
      const manifest = await renderChart(cluster(), release, releaseNs, [...imageValues, ...values]);
      const objects = parseAllDocuments(manifest).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
      const r = await cluster().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifest });
      assert.equal(r.code, 0, `kubectl apply --dry-run=server refused the chart (${values.join(' ') || 'defaults'}):\n${r.stderr}`);
      const accepted = r.stdout.trim().split('\n').filter((l) => /\(server dry run\)$/.test(l));
      assert.equal(accepted.length, objects.length, `every rendered object accepted:\n${r.stdout}`);
      if (values.length) {
        assert.deepEqual(objects.filter((o) => o.kind === 'Role' && o.metadata.name === release).map((o) => o.metadata.namespace).sort(), [teamA, teamB].sort());
        assert.ok(!objects.some((o) => o.kind === 'ClusterRole'), 'namespaced mode has no ClusterRole');
      }
    }
  });

  it('installs into a namespace enforcing Pod Security "restricted": both replicas are admitted and Running on kwok nodes', async (t) => {
    const ns = await restrictedNamespace('helm-restricted');
    // The label is enforced: a privileged pod is refused here.
    const privileged = await cluster().core.createNamespacedPod({
      namespace: ns, dryRun: 'All',
      body: { metadata: { name: 'privileged' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } },
    }).then(() => 'accepted', (e: { body?: unknown }) => (JSON.parse(String(e.body)) as { message: string }).message);
    assert.match(privileged, /violates PodSecurity "restricted:latest"/);

    const release = releaseName();
    await install(t, release, ns);
    const nodes = await cluster().core.listNode();
    const kwokNodes = new Set(nodes.items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake').map((n) => n.metadata?.name));
    await eventually(async () => {
      const d = await cluster().apps.readNamespacedDeployment({ name: release, namespace: ns });
      assert.equal(d.status?.availableReplicas, 2, `available ${d.status?.availableReplicas}`);
      const pods = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${release}` });
      assert.equal(pods.items.length, 2);
      for (const p of pods.items) {
        assert.equal(p.status?.phase, 'Running', `${p.metadata?.name} ${p.status?.phase}`);
        if (cluster().clusterDir) assert.ok(kwokNodes.has(p.spec?.nodeName), `${p.metadata?.name} runs on a kwok node, not ${p.spec?.nodeName}`);
      }
    }, { message: `both ${release} replicas Running` });
    const refused = await cluster().core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=FailedCreate' });
    assert.deepEqual(refused.items.map((e) => e.message), [], 'no pod was refused by admission');
    const pdb = await cluster().kubectl(['get', 'pdb', release, '-n', ns, '-o', 'jsonpath={.status.currentHealthy}']);
    assert.equal(pdb.stdout, '2', 'the PDB sees both replicas');
  });

  it('in cluster mode, the chart ServiceAccount\'s token is enough for the operator to run the core scenario and the edits that delete, with no 403', async (t) => {
    const releaseNs = await restrictedNamespace('helm-cluster-mode');
    const release = releaseName();
    await install(t, release, releaseNs);
    const ns = await testNamespace(cluster(), 'helm-cluster-mode-agents');
    await runAsServiceAccount(release, releaseNs, [], ns);
  });

  it('in namespaced mode (watchNamespaces), Roles in the watched namespace are enough for the same scenarios with no 403', async (t) => {
    const releaseNs = await restrictedNamespace('helm-ns-mode');
    const ns = await testNamespace(cluster(), 'helm-ns-mode-agents');
    const release = releaseName();
    await install(t, release, releaseNs, ['--set', `watchNamespaces={${ns}}`]);
    const clusterRole = await cluster().kubectl(['get', 'clusterrole', release]);
    assert.notEqual(clusterRole.code, 0, 'namespaced mode installs no ClusterRole');
    const cannot = await cluster().kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'default', `--as=system:serviceaccount:${releaseNs}:${release}`]);
    assert.equal(cannot.stdout.trim(), 'no', 'nothing outside the watched namespaces');
    await runAsServiceAccount(release, releaseNs, [ns], ns);
  });

  it('refuses a second release while one runs in cluster mode, naming the one that runs, and installs nothing of it', async (t) => {
    const firstNs = await restrictedNamespace('helm-first');
    const first = releaseName();
    await install(t, first, firstNs);
    const secondNs = await testNamespace(cluster(), 'helm-second');
    for (const mode of [[], ['--set', `watchNamespaces={${secondNs}}`]]) {
      const second = releaseName();
      const r = await helm(cluster(), ['install', second, chartDir, '-n', secondNs, ...imageValues, '--set', 'crds.install=false', ...mode]);
      assert.notEqual(r.code, 0, `a second release (${mode.join(' ') || 'cluster mode'}) was installed beside ${first}`);
      assert.match(r.stderr, new RegExp(`already runs in cluster mode \\(release "${first}" in namespace "${firstNs}"`));
      assert.match(r.stderr, new RegExp(`helm upgrade ${first} -n ${firstNs}`));
      const deploy = await cluster().kubectl(['get', 'deployment', second, '-n', secondNs]);
      assert.match(deploy.stderr, /NotFound/, 'nothing of the refused release runs');
    }
    // The running release still upgrades: the check is about other releases.
    await helmOk(cluster(), ['upgrade', first, chartDir, '-n', firstNs, '--reuse-values']);
  });

  it('upgrades from the previous chart version: the release is deployed at the new version and the CRD is the new one', async (t) => {
    const ns = await restrictedNamespace('helm-upgrade');
    const generated = parse(readFileSync(join(repoRoot, 'crds/agent-operator.dev_agents.yaml'), 'utf8')) as { spec: { versions: { schema: unknown }[] } };
    // The previous version, with a CRD that differs from today's (a description), so the upgrade must change it.
    const previous = chartCopy('0.0.9', (dir) => {
      const file = join(dir, 'crds-source/agent-operator.dev_agents.yaml');
      const crd = parse(readFileSync(file, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: { description?: string } } }[] } };
      crd.spec.versions[0]!.schema.openAPIV3Schema.description = 'the Agent as chart 0.0.9 described it';
      writeFileSync(file, stringify(crd));
    });
    const release = releaseName();
    await install(t, release, ns, [], previous);
    const oldCrd = await getJson(['crd', crdName]);
    assert.equal(oldCrd.metadata.labels?.['helm.sh/chart'], 'agent-operator-0.0.9');
    await kubectlOk(['apply', '-n', ns, '-f', '-'], stringify({ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: 'survivor' }, spec: { image: 'registry.invalid/agent:1' } }));

    await helmOk(cluster(), ['upgrade', release, chartDir, '-n', ns, '--reuse-values']);
    const [status] = JSON.parse(await helmOk(cluster(), ['list', '-n', ns, '--filter', `^${release}$`, '-o', 'json'])) as { status: string; chart: string; revision: string }[];
    assert.deepEqual({ status: status?.status, chart: status?.chart, revision: status?.revision }, { status: 'deployed', chart: `agent-operator-${chartVersion}`, revision: '2' });

    const crd = await getJson<{ metadata: Obj['metadata']; spec: { versions: { schema: unknown }[] } }>(['crd', crdName]);
    assert.equal(crd.metadata.labels?.['helm.sh/chart'], `agent-operator-${chartVersion}`);
    assert.deepEqual(crd.spec.versions.map((v) => v.schema), generated.spec.versions.map((v) => v.schema), 'the CRD schema is the one of the new chart');
    assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');

    await eventually(async () => {
      const pods = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${release}` });
      const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
      assert.deepEqual(live.map((p) => [p.metadata?.labels?.['helm.sh/chart'], p.status?.phase]), [[`agent-operator-${chartVersion}`, 'Running'], [`agent-operator-${chartVersion}`, 'Running']]);
    }, { message: 'both replicas rolled to the new chart version' });
    const survivor = await agent(ns, 'survivor');
    assert.equal(survivor.metadata.generation, 1, 'the upgrade left the Agent alone');

    // The preview docs/operations.md gives (helm template | kubectl diff --server-side) sees the
    // upgraded release as it is: no drift, and no conflict with Helm's field manager.
    const diff = await cluster().kubectl(['diff', '--server-side', '-f', '-'], { input: await renderChart(cluster(), release, ns, imageValues) });
    assert.deepEqual({ code: diff.code, stdout: diff.stdout }, { code: 0, stdout: '' }, `kubectl diff --server-side of the rendered chart:\n${diff.stderr}`);
  });

  it('uninstall keeps the CRD and the Agents (crds.keep) and removes the rest of the release', async (t) => {
    const ns = await restrictedNamespace('helm-uninstall');
    const release = releaseName();
    await install(t, release, ns);
    await kubectlOk(['apply', '-n', ns, '-f', '-'], stringify({ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: 'kept' }, spec: { image: 'registry.invalid/agent:1' } }));

    const out = await helmOk(cluster(), ['uninstall', release, '-n', ns, '--wait']);
    assert.match(out, /kept due to the resource policy/);
    assert.match(out, /\[CustomResourceDefinition\] agents\.agent-operator\.dev/);

    const crd = await getJson(['crd', crdName]);
    assert.equal((crd.metadata as { deletionTimestamp?: string }).deletionTimestamp, undefined, 'the CRD is not being deleted');
    const kept = await agent(ns, 'kept');
    assert.equal((kept.metadata as { deletionTimestamp?: string }).deletionTimestamp, undefined, 'the Agent is not being deleted');
    for (const [kind, name] of [['deployment', release], ['serviceaccount', release], ['clusterrole', 'agent-operator'], ['clusterrolebinding', 'agent-operator']] as const) {
      const r = await cluster().kubectl(['get', kind, name, '-n', ns]);
      assert.match(r.stderr, /NotFound/, `${kind} ${name} is removed with the release`);
    }
  });
});

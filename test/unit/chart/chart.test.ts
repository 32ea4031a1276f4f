// The Helm chart, rendered by the Helm that CI builds: lint, RBAC, the
// operator Deployment, the CRD toggle, optional monitoring, the values schema.
// Installing into a real apiserver is the e2e suite's job (test/e2e).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, kinds, one, releaseNamespace, root, runHelm, setFlags, skipWithoutHelm as skip, template, type K8sObject } from './helm.ts';

const namespaced = { 'watchNamespaces[0]': 'team-a', 'watchNamespaces[1]': 'team-b' };
const monitoring = { 'metrics.serviceMonitor.enabled': true, 'metrics.prometheusRule.enabled': true };

test('helm lint --strict is clean with default, namespaced and monitoring values', { skip }, () => {
  for (const values of [{}, namespaced, monitoring]) {
    const r = runHelm(['lint', '--strict', chartDir, '--namespace', releaseNamespace, ...setFlags(values)]);
    assert.equal(r.status, 0, `helm lint --strict ${JSON.stringify(values)}:\n${r.stdout}${r.stderr}`);
  }
});

test('the default install renders the operator, cluster-wide RBAC, the CRD and a PDB, and no monitoring objects', { skip }, () => {
  const objects = template();
  assert.deepEqual(kinds(objects).sort(), [
    'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'PodDisruptionBudget',
    'Role', 'RoleBinding', 'Service', 'ServiceAccount',
  ]);
});

test('every namespaced object names its namespace and every object carries the chart labels', { skip }, () => {
  const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);
  for (const o of [...template(monitoring), ...template(namespaced)]) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, id);
    else assert.ok(o.metadata.namespace, `${id} has no namespace`);
    assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', id);
    assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'agent-operator', id);
  }
});

test('the CRD is the generated one, kept on uninstall by default', { skip }, () => {
  const crd = one(template(), 'CustomResourceDefinition');
  const generated = parse(readFileSync(join(root, 'crds/agent-operator.dev_agents.yaml'), 'utf8')) as K8sObject;
  assert.equal(crd.metadata.name, 'agents.agent-operator.dev');
  assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  assert.deepEqual(crd.spec, generated.spec, 'the chart must not alter the generated schema');
  for (const [k, v] of Object.entries(generated.metadata.labels ?? {})) assert.equal(crd.metadata.labels?.[k], v);
});

test('crds.install=false leaves the CRD out and crds.keep=false drops the keep policy', { skip }, () => {
  assert.ok(!kinds(template({ 'crds.install': false })).includes('CustomResourceDefinition'));
  const crd = one(template({ 'crds.keep': false }), 'CustomResourceDefinition');
  assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], undefined);
});

test('crds.annotations adds annotations such as Argo CD sync waves to the CRD, next to the keep policy', { skip }, () => {
  const crd = one(template({}, [
    '--set-string', 'crds.annotations.argocd\\.argoproj\\.io/sync-wave=-1',
    '--set-string', 'crds.annotations.argocd\\.argoproj\\.io/sync-options=Prune=false',
  ]), 'CustomResourceDefinition');
  assert.equal(crd.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
  assert.equal(crd.metadata.annotations?.['argocd.argoproj.io/sync-options'], 'Prune=false');
  assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
});

test('ServiceMonitor and PrometheusRule render only when enabled', { skip }, () => {
  const off = kinds(template());
  assert.ok(!off.includes('ServiceMonitor') && !off.includes('PrometheusRule'));
  const on = template(monitoring);
  const sm = one(on, 'ServiceMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
  const svc = one(on, 'Service');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v, `ServiceMonitor selects the metrics Service (${k})`);
  assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
  assert.ok(one(on, 'PrometheusRule'));
  assert.ok(kinds(template({ 'metrics.serviceMonitor.enabled': true })).includes('ServiceMonitor'));
  assert.ok(!kinds(template({ 'metrics.serviceMonitor.enabled': true })).includes('PrometheusRule'));
});

interface Rule { alert: string; expr: string; for: string; labels: { severity: string }; annotations: Record<string, string> }

test('the alerts cover degraded and crash-looping agents, reconcile errors and a down operator, each with a runbook section that exists', { skip }, () => {
  const pr = one(template(monitoring), 'PrometheusRule') as K8sObject & { spec: { groups: { rules: Rule[] }[] } };
  const rules = pr.spec.groups.flatMap((g) => g.rules);
  assert.deepEqual(rules.map((r) => r.alert).sort(), ['AgentCrashLooping', 'AgentDegraded', 'AgentOperatorDown', 'AgentOperatorReconcileErrors']);
  const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
  assert.match(byName.AgentDegraded!.expr, /agent_operator_agents\{.*phase=~"Degraded\|Failed"\}/);
  assert.equal(byName.AgentDegraded!.for, '10m');
  assert.match(byName.AgentCrashLooping!.expr, /rate\(agent_operator_failures_total\{.*reason="CrashLoopBackOff"\}/);
  assert.match(byName.AgentOperatorReconcileErrors!.expr, /rate\(controller_runtime_reconcile_errors_total\{/);
  assert.match(byName.AgentOperatorDown!.expr, /absent\(up\{job="agent-operator-metrics", namespace="agent-operator"\} == 1\)/);
  assert.match(byName.AgentOperatorDown!.expr, /max\(leader_election_master_status\{.*\}\) == 0/);
  const headings = new Set(readFileSync(join(root, 'docs/operations.md'), 'utf8').split('\n')
    .filter((l) => l.startsWith('#')).map((l) => l.replace(/^#+\s*/, '').toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const r of rules) {
    assert.ok(r.annotations.summary && r.annotations.description, `${r.alert} has summary and description`);
    const [doc, anchor] = (r.annotations.runbook ?? '').split('#');
    assert.equal(doc, 'docs/operations.md', `${r.alert} runbook`);
    assert.ok(anchor && headings.has(anchor), `${r.alert}: docs/operations.md has no section #${anchor}`);
    assert.ok(['warning', 'critical'].includes(r.labels.severity));
    assert.equal(r.annotations.runbook_url, undefined, 'runbook_url only with runbookBaseURL');
  }
  const withBase = one(template({ ...monitoring, 'metrics.prometheusRule.runbookBaseURL': 'https://git.example.com/ops.md' }), 'PrometheusRule') as K8sObject & { spec: { groups: { rules: Rule[] }[] } };
  for (const r of withBase.spec.groups.flatMap((g) => g.rules)) assert.match(r.annotations.runbook_url ?? '', /^https:\/\/git\.example\.com\/ops\.md#[a-z]+$/);
});

test('no PodDisruptionBudget for a single replica, and several replicas without leader election are refused', { skip }, () => {
  assert.ok(!kinds(template({ replicaCount: 1 })).includes('PodDisruptionBudget'));
  const r = runHelm(['template', 'x', chartDir, ...setFlags({ replicaCount: 3, 'leaderElection.enabled': false })]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /replicaCount > 1 needs leaderElection\.enabled=true/);
  assert.ok(kinds(template({ replicaCount: 1, 'leaderElection.enabled': false })).includes('Deployment'));
  const sharded = runHelm(['template', 'x', chartDir, ...setFlags({ replicaCount: 1, shards: 2, 'leaderElection.enabled': false })]);
  assert.notEqual(sharded.status, 0);
  assert.match(sharded.stderr, /shards > 1 needs leaderElection\.enabled=true/);
});

test('values.schema.json refuses a wrongly typed value, an unknown key and a bad namespace name, with messages', { skip }, () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ replicaCount: 'two' }, /replicaCount[\s\S]*(integer|number)/i],
    [{ replicas: '2' }, /additional propert(y|ies)[\s\S]*replicas/i],
    [{ 'watchNamespaces[0]': 'Team_A' }, /watchNamespaces/],
    [{ logLevel: 'verbose' }, /logLevel/],
    [{ podSecurityLevel: 'strict' }, /podSecurityLevel/],
    [{ 'allowedServiceAccounts[0]': 'collector' }, /allowedServiceAccounts/],
    [{ 'image.digest': 'latest' }, /digest/],
  ];
  for (const [values, message] of cases) {
    const r = runHelm(['template', 'x', chartDir, ...values.replicaCount ? ['--set-string', `replicaCount=${values.replicaCount}`] : setFlags(values)]);
    assert.notEqual(r.status, 0, `${JSON.stringify(values)} was accepted`);
    assert.match(r.stderr, message, `${JSON.stringify(values)}: ${r.stderr}`);
  }
});

test('the chart copy of the CRD is the generated file (npm run generate keeps them equal)', () => {
  assert.equal(
    readFileSync(join(chartDir, 'crds-source/agent-operator.dev_agents.yaml'), 'utf8'),
    readFileSync(join(root, 'crds/agent-operator.dev_agents.yaml'), 'utf8'),
  );
});

test('Chart.yaml pins chart API v2, version 0.1.0 and Kubernetes >= 1.30', () => {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
  assert.equal(chart.apiVersion, 'v2');
  assert.equal(chart.version, '0.1.0');
  assert.equal(chart.appVersion, '0.1.0');
  assert.equal(chart.kubeVersion, '>=1.30.0-0');
});

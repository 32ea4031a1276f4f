// The Grafana dashboard: one JSON file (charts/agent-operator/dashboards,
// linked from dashboards/), shipped by the chart as a ConfigMap for the
// kube-prometheus-stack sidecar when asked. Its queries are parsed by
// Prometheus' own parser (promtool); that each metric is really exported is
// checked against a live /metrics in test/e2e/operator-core.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { metricNames } from '../../support/promql.ts';
import { chartDir, helm, kinds, one, releaseNamespace, root, skipWithoutHelm as skip, template, type K8sObject } from './helm.ts';

const file = join(chartDir, 'dashboards/agent-operator.json');
interface Panel { type: string; title: string; id: number; targets?: { expr: string }[] }
const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

test('dashboards/agent-operator.json is the chart\'s dashboard file', () => {
  assert.equal(realpathSync(join(root, 'dashboards/agent-operator.json')), realpathSync(file));
});

test('the dashboard ConfigMap renders only when enabled, with the sidecar label and the JSON as it is in the repository', { skip }, () => {
  assert.ok(!kinds(template()).includes('ConfigMap'));
  const cm = one(template({ 'grafana.dashboard.enabled': true }), 'ConfigMap') as K8sObject & { data: Record<string, string> };
  assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
  assert.equal(cm.metadata.namespace, releaseNamespace);
  assert.deepEqual(JSON.parse(cm.data['agent-operator.json']!), JSON.parse(readFileSync(file, 'utf8')));
  const custom = one(template({ 'grafana.dashboard.enabled': true, 'grafana.dashboard.namespace': 'monitoring', 'grafana.dashboard.annotations.grafana_folder': 'Operators' }), 'ConfigMap');
  assert.equal(custom.metadata.namespace, 'monitoring');
  assert.equal(custom.metadata.annotations?.grafana_folder, 'Operators');
});

test('the dashboard has a panel for fleet health, failures, remediations, reconcile rate, latency and errors, queue depth, API requests and memory', () => {
  const read = new Set(queries.flatMap((q) => metricNames(q.expr)));
  for (const metric of [
    'agent_operator_agents', 'agent_operator_failures_total', 'agent_operator_remediations_total', 'controller_runtime_reconcile_total',
    'controller_runtime_reconcile_time_seconds_bucket', 'controller_runtime_reconcile_errors_total', 'workqueue_depth',
    'agent_operator_api_requests_total', 'process_resident_memory_bytes',
  ]) assert.ok(read.has(metric), `no panel reads ${metric}`);
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dashboard.panels.filter((p) => p.type !== 'row')) assert.ok(p.targets?.length, `${p.title} has no query`);
  assert.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'job', 'namespace']);
});

// promtool is built beside helm (hack/build-tools)
const promtool = helm ? join(dirname(helm), 'promtool') : undefined;
const noPromtool = promtool && existsSync(promtool) ? false : 'promtool is not built yet: run `make tools`';

test('every dashboard query parses with Prometheus\' own parser once Grafana\'s variables are filled in', { skip: noPromtool }, () => {
  const fill = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.+').replaceAll('$namespace', '.*');
  const rules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query:${i}`, expr: fill(q.expr) })) }] };
  const dir = mkdtempSync(join(tmpdir(), 'agent-dashboard-'));
  try {
    writeFileSync(join(dir, 'queries.yaml'), stringify(rules));
    const r = spawnSync(promtool!, ['check', 'rules', 'queries.yaml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

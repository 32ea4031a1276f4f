// The chart's PrometheusRule run by Prometheus' own rule engine: `promtool
// test rules` (built from the Prometheus Go module by hack/build-tools) over
// testdata/alerts.promtool.yaml, series that fire each alert and series that
// must not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { metricNames } from '../../support/promql.ts';
import { helm, one, skipWithoutHelm, template, type K8sObject } from './helm.ts';

// promtool is built beside helm (hack/build-tools)
const promtool = helm ? join(dirname(helm), 'promtool') : undefined;
const skip = promtool && existsSync(promtool) ? false : 'promtool is not built yet: run `make tools` (hack/build-tools builds it into the tool cache)';

interface Rule { alert?: string; expr: string }
interface Groups { groups: { name: string; rules: Rule[] }[] }

function rules(): Groups {
  const pr = one(template({ 'metrics.prometheusRule.enabled': true }), 'PrometheusRule') as K8sObject & { spec: Groups };
  return pr.spec;
}

function promtoolRun(args: string[], cwd: string) {
  const r = spawnSync(promtool!, args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('promtool check rules accepts every group and expression of the PrometheusRule', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-rules-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules()));
    const r = promtoolRun(['check', 'rules', 'rules.yaml'], dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: 4 rules found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each alert fires on the series it is for, with its labels and annotations, and stays quiet on the rest', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-rules-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules()));
    copyFileSync(join(import.meta.dirname, 'testdata/alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
    const r = promtoolRun(['test', 'rules', 'alerts.promtool.yaml'], dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the promtool tests cover every alert of the PrometheusRule, each with a case that must not fire', { skip: skipWithoutHelm }, () => {
  const spec = parse(readFileSync(join(import.meta.dirname, 'testdata/alerts.promtool.yaml'), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const cases = spec.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const alert of rules().groups.flatMap((g) => g.rules).map((r) => r.alert).filter(Boolean)) {
    assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0), `${alert} has no case where it fires`);
    assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0), `${alert} has no case where it must stay quiet`);
  }
});

test('every metric an alert reads is on the dashboard too, so the e2e scrape check covers the alerts', { skip: skipWithoutHelm }, () => {
  const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '../../../dashboards/agent-operator.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  const onDashboard = new Set(dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))));
  // up is Prometheus' own, written by the scrape, not the operator
  const read = rules().groups.flatMap((g) => g.rules).flatMap((r) => metricNames(r.expr)).filter((m) => m !== 'up');
  assert.deepEqual(read.filter((m) => !onDashboard.has(m)), []);
});

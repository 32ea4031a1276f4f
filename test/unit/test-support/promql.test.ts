import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportedNames, metricNames } from '../../support/promql.ts';

test('metricNames finds the selected metrics and skips functions, matchers, groupings, windows and variables', () => {
  const cases: [string, string[]][] = [
    ['up', ['up']],
    ['max by (phase) (agent_operator_agents{job=~"$job", phase=~"Degraded|Failed"}) > 0', ['agent_operator_agents']],
    ['histogram_quantile(0.99, sum by (le) (rate(controller_runtime_reconcile_time_seconds_bucket{controller="agent"}[$__rate_interval])))', ['controller_runtime_reconcile_time_seconds_bucket']],
    ['absent(up{job="a"} == 1) or max(leader_election_master_status{job="a"}) == 0', ['leader_election_master_status', 'up']],
    ['sum(rate(a_total[5m])) / ignoring(code) group_left sum(rate(b_total[1h] offset 5m))', ['a_total', 'b_total']],
    ['rate(process_cpu_seconds_total{code!~"2.."}[${__rate_interval}]) * 1e3', ['process_cpu_seconds_total']],
    ['sum by (verb, resource) (rate(x{resource="leases"}[5m]))', ['x']],
  ];
  for (const [expr, names] of cases) assert.deepEqual(metricNames(expr), names, expr);
});

test('exportedNames reads every # TYPE line, with the series a histogram adds', () => {
  const names = exportedNames([
    '# HELP a_total A.', '# TYPE a_total counter', 'a_total{x="1"} 3',
    '# HELP h_seconds H.', '# TYPE h_seconds histogram', 'h_seconds_bucket{le="1"} 0',
    '# HELP empty_total no series yet', '# TYPE empty_total counter', '',
  ].join('\n'));
  assert.deepEqual([...names].sort(), ['a_total', 'empty_total', 'h_seconds', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum']);
});

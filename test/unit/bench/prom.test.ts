import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketsOf, deltaOf, parseMetrics, sumBy, sumOf } from '../../../bench/lib/prom.ts';

const text = `# HELP agent_operator_api_requests_total Requests.
# TYPE agent_operator_api_requests_total counter
agent_operator_api_requests_total{verb="patch",resource="agents/status",code="200"} 40
agent_operator_api_requests_total{verb="patch",resource="deployments",code="200"} 20
agent_operator_api_requests_total{verb="create",resource="events",code="201"} 60
agent_operator_api_requests_total{verb="list",resource="pods",code="200"} 1
process_resident_memory_bytes 221839360
t_bucket{controller="agent",le="0.5"} 3
t_bucket{controller="agent",le="+Inf"} 4
msg{text="a \\"quoted\\" value"} 1
`;

describe('Prometheus text parsing', () => {
  const s = parseMetrics(text);

  it('sums the samples whose labels match, ignoring comments', () => {
    assert.equal(sumOf(s, 'agent_operator_api_requests_total', { verb: 'patch' }), 60);
    assert.equal(sumOf(s, 'process_resident_memory_bytes'), 221839360);
    assert.equal(sumOf(s, 'missing'), 0);
  });

  it('groups by one label', () => {
    assert.deepEqual(sumBy(s, 'agent_operator_api_requests_total', 'verb'), { patch: 60, create: 60, list: 1 });
  });

  it('reads histogram buckets with +Inf', () => {
    assert.deepEqual(bucketsOf(s, 't', { controller: 'agent' }), [{ le: 0.5, count: 3 }, { le: Infinity, count: 4 }]);
  });

  it('unescapes quoted label values', () => {
    assert.equal(s.find((x) => x.name === 'msg')?.labels['text'], 'a "quoted" value');
  });

  it('gives the change of each counter between two scrapes, leaving out the unchanged', () => {
    assert.deepEqual(deltaOf({ a: 5, b: 2 }, { a: 3, b: 2, c: 1 }), { a: 2, c: -1 });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { Failure } from '../../../src/health/failure.ts';
import { fleetSummary } from '../../../src/health/fleet-summary.ts';

const pod = (i: number): V1Pod => ({ metadata: { name: `agent-${i}`, uid: `u${i}` }, spec: { nodeName: `node-${i}`, containers: [] } });
const fail = (i: number, reason: Failure['reason'] = 'CrashLoopBackOff', active = true): Failure => ({ reason, message: 'm', key: `u${i}/agent`, active, pod: `agent-${i}`, podUid: `u${i}` });
const fleet = Array.from({ length: 200 }, (_, i) => pod(i));

describe('fleetSummary', () => {
  it('names the failing nodes and their failure, out of the nodes the DaemonSet runs on', () => {
    assert.equal(fleetSummary([fail(17, 'OOMKilled'), fail(3)], fleet, 200), '2 of 200 nodes failing: node-3 CrashLoopBackOff, node-17 OOMKilled');
  });
  it('stays one bounded line for a large fleet: five nodes named, the rest counted', () => {
    const failures = Array.from({ length: 40 }, (_, i) => fail(i * 5));
    assert.equal(fleetSummary(failures, fleet, 200), '40 of 200 nodes failing: node-0 CrashLoopBackOff, node-5 CrashLoopBackOff, node-10 CrashLoopBackOff, node-15 CrashLoopBackOff, node-20 CrashLoopBackOff and 35 more');
  });
  it('counts a node once, with its first failure, when its pod fails two ways', () => {
    assert.equal(fleetSummary([fail(1, 'OOMKilled'), fail(1, 'ProbeFailure')], fleet, 200), '1 of 200 nodes failing: node-1 OOMKilled');
  });
  it('says nothing without an active failure on a scheduled pod', () => {
    assert.equal(fleetSummary([fail(1, 'OOMKilled', false)], fleet, 200), undefined);
    assert.equal(fleetSummary([fail(1)], [{ metadata: { uid: 'u1' }, spec: { containers: [] } }], 200), undefined);
  });
});

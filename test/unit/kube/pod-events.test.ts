import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreV1Event } from '@kubernetes/client-node';
import { livenessKillsOf } from '../../../src/kube/pod-events.ts';
import { podsToCheckForLivenessKills } from '../../../src/health/liveness.ts';
import { pod, t0 } from '../health/pod-fixtures.ts';

// The kubelet's Killing event, as a real kubelet v1.36 writes it for a failed liveness probe.
const killing = (o: Partial<CoreV1Event> = {}): CoreV1Event => ({
  metadata: { name: 'a.18', namespace: 'ns' }, reason: 'Killing', type: 'Normal',
  message: 'Container agent failed liveness probe, will be restarted',
  involvedObject: { kind: 'Pod', name: 'a', uid: 'uid-a', fieldPath: 'spec.containers{agent}' },
  firstTimestamp: new Date('2026-11-27T10:58:00Z'), lastTimestamp: new Date('2026-11-27T10:59:50Z'), count: 3,
  ...o,
});

describe('liveness kills from the pod\'s events', () => {
  it('takes the container from the field path and the latest time the aggregated event records', () => {
    assert.deepEqual(livenessKillsOf('uid-a', [killing()]), [{ podUid: 'uid-a', container: 'agent', at: '2026-11-27T10:59:50Z' }]);
  });

  it('reads events.k8s.io-style events (eventTime and series) too', () => {
    const e = killing({ firstTimestamp: undefined, lastTimestamp: undefined, eventTime: new Date('2026-11-27T10:59:40.123456Z'), series: { count: 2, lastObservedTime: new Date('2026-11-27T10:59:55.5Z') } });
    assert.deepEqual(livenessKillsOf('uid-a', [e]).map((k) => k.at), ['2026-11-27T10:59:55Z']);
  });

  it('ignores kills for other reasons (a pod deletion, a startup probe)', () => {
    const other = [
      killing({ message: 'Stopping container agent' }),
      killing({ message: 'Container agent failed startup probe, will be restarted' }),
      killing({ reason: 'Unhealthy', message: 'Liveness probe failed: dial tcp 10.0.0.5:8080: connect: connection refused' }),
    ];
    assert.deepEqual(livenessKillsOf('uid-a', other), []);
  });

  it('skips a kill it cannot place: no container named, or no time recorded', () => {
    const unplaced = [
      killing({ message: 'failed liveness probe, will be restarted', involvedObject: { kind: 'Pod', name: 'a', uid: 'uid-a' } }),
      killing({ firstTimestamp: undefined, lastTimestamp: undefined }),
    ];
    assert.deepEqual(livenessKillsOf('uid-a', [...unplaced, killing()]).map((k) => k.container), ['agent']);
  });
});

describe('which pods\' events are read', () => {
  it('only pods with a container that died (not of an OOM kill) in the last 10 minutes', () => {
    const pods = [pod('healthy').build(), pod('crashed').restarted().build(), pod('oom').oomKilled().build(), pod('long-ago').restarted().build()];
    pods[3]!.status!.containerStatuses![0]!.lastState!.terminated!.finishedAt = new Date(t0 - 11 * 60_000);
    assert.deepEqual(podsToCheckForLivenessKills(pods, t0), [{ name: 'crashed', uid: 'uid-crashed' }]);
  });
});

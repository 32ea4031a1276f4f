import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { readySince } from '../../../src/health/ready-since.ts';
import { at, pod } from './pod-fixtures.ts';

const iso = (s: number) => at(s).toISOString().replace('.000Z', 'Z');

/** A pod whose container was restarted in place `secondsAgo` and came back ready, the pod's Ready condition untouched. */
function restartedInPlace(name: string, secondsAgo: number): V1Pod {
  const p = pod(name).build();
  p.status!.containerStatuses![0]!.state = { running: { startedAt: at(-secondsAgo) } };
  p.status!.containerStatuses![0]!.restartCount = 1;
  return p;
}

describe('readySince', () => {
  const cases: { name: string; pods: V1Pod[]; expect: string | undefined }[] = [
    { name: 'no pods: nothing is up', pods: [], expect: undefined },
    { name: 'one ready pod: its Ready transition (later than its container start)', pods: [pod('a').build()], expect: iso(-3500) },
    { name: 'a pod not ready: not up', pods: [pod('a').build(), pod('b').crashLooping().build()], expect: undefined },
    { name: 'a container restarted in place, the pod still Ready: the restart breaks the stretch', pods: [pod('a').build(), restartedInPlace('b', 30)], expect: iso(-30) },
    { name: 'a terminating pod does not count', pods: [pod('a').build(), pod('b').crashLooping().terminating().build()], expect: iso(-3500) },
    { name: 'a finished pod does not count', pods: [pod('a').build(), pod('b').crashLooping().phase('Succeeded').build()], expect: iso(-3500) },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(readySince(c.pods), c.expect));
  }
});

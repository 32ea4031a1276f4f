// agent_operator_reconcile_outcomes_total documents six outcomes; each one is
// what some reconcile ends in, so none of its series stays at 0 forever.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../../../src/api/agent.ts';
import type { KubeIO } from '../../../src/kube/io.ts';
import type { ReconcileOutcome } from '../../../src/observability/metrics.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { agent } from '../../fixtures/agent.ts';
import { reconcileOnce } from '../../fixtures/reconciler.ts';

/** One reconcile of `cached` (undefined: not in the cache) against an apiserver that stores what it is sent. */
async function outcomeOf(cached: Agent | undefined, io: Partial<KubeIO> = {}): Promise<ReconcileOutcome[]> {
  const outcomes: ReconcileOutcome[] = [];
  await reconcileOnce(cached, io, (o) => outcomes.push(o)).catch(() => {});
  return outcomes;
}

const fwd = agent('fwd');
const deleting = (a: Agent): Agent => ({ ...a, metadata: { ...a.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });

describe('the outcome a reconcile is counted under', () => {
  const cases: { name: string; cached: Agent | undefined; io?: Partial<KubeIO>; want: ReconcileOutcome }[] = [
    { name: 'a new Agent: its objects written, applied', cached: fwd.build(), want: 'applied' },
    { name: 'an Agent gone from the cache: deleted', cached: undefined, want: 'deleted' },
    { name: 'an Agent being deleted: deleted', cached: deleting(fwd.build()), want: 'deleted' },
    { name: 'an Unmanaged Agent: unmanaged', cached: fwd.unmanaged().build(), want: 'unmanaged' },
    {
      name: 'a required Secret missing: the rollout held',
      cached: fwd.secretEnv('TOKEN', 'creds', 'token').build(),
      io: { readReferencedDigests: async () => ({ digests: {}, missing: [{ kind: 'Secret', name: 'creds', optional: false }], configMapTexts: {} }) },
      want: 'held',
    },
    {
      name: 'an apply the apiserver could not take (500): error',
      cached: fwd.build(),
      io: { apply: async () => { throw new KubeApiError(500, 'etcdserver: request timed out'); } },
      want: 'error',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await outcomeOf(c.cached, c.io), [c.want]);
    });
  }
});

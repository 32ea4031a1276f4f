import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import type { RecoveryStatus } from '../../../src/api/status.ts';
import type { Observed } from '../../../src/reconcile/gather.ts';
import { plan, type Plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';

// Issue 9, defect 7: `kubectl scale agent` bumps metadata.generation. What the
// operator decided about the pods (memory override, rollback, hold) must
// survive that, and be cleared only by a change of the spec that defines the pods.

const t0 = new Date('2026-11-30T10:00:00Z');

function observed(a: Agent): Observed {
  return {
    agent: a, replicaSets: [], pods: [], now: t0,
    references: { digests: {}, missing: [], configMapTexts: {} },
    dependencies: { ready: true, waits: [], none: true },
  };
}

/** The Agent after a first reconcile with `recovery` already in force (as written by an earlier decision). */
function withRecovery(recovery: RecoveryStatus): Agent {
  const a = agent('fwd').port('http', 2020).replicas(2).build();
  const first = plan(observed({ ...a, status: { recovery: { generation: 1, ...recovery } } }));
  return { ...a, status: first.status ?? { recovery: { generation: 1, ...recovery } } };
}

/** The same Agent after a spec edit: a new generation, the status as it was. */
function edited(a: Agent, spec: Partial<Agent['spec']>): Agent {
  return { ...a, metadata: { ...a.metadata, generation: (a.metadata.generation ?? 1) + 1 }, spec: { ...a.spec, ...spec } };
}

const memoryLimitOf = (p: Plan) => {
  const d = p.apply.find((o) => o.kind === 'Deployment') as unknown as V1Deployment | undefined;
  return d?.spec?.template.spec?.containers[0]?.resources?.limits?.memory;
};
const cleared = (p: Plan) => p.events.filter((e) => e.reason === 'RecoveryCleared');

const override: RecoveryStatus = { memoryLimit: '356Mi', lastAction: 'IncreaseMemory', lastActionTime: '2026-11-30T09:59:00Z' };
const hold: RecoveryStatus = { lastAction: 'Hold', lastActionTime: '2026-11-30T09:59:00Z', restartAttempts: 3 };

describe('a new generation clears remediation only when the pods\' spec changed', () => {
  for (const [what, spec] of [
    ['kubectl scale (replicas)', { replicas: 3 }],
    ['a disruption budget edit', { disruption: { minAvailable: 1 } }],
    ['managementState set to Managed', { managementState: 'Managed' }],
    ['a Service type switch', { service: { type: 'Headless' } }],
  ] as const) {
    it(`keeps the memory override, the hold and their schedule across ${what}`, () => {
      for (const recovery of [override, hold]) {
        const a = withRecovery(recovery);
        const p = plan(observed(edited(a, spec as Partial<Agent['spec']>)));
        const next = p.status?.recovery ?? a.status?.recovery;
        assert.deepEqual(cleared(p), [], JSON.stringify(p.events));
        assert.equal(next?.generation, 2, 'the recovery record moves to the new generation');
        assert.equal(next?.memoryLimit, recovery.memoryLimit);
        assert.equal(next?.lastAction, recovery.lastAction);
        assert.equal(next?.restartAttempts, recovery.restartAttempts);
        if (recovery === override) assert.equal(memoryLimitOf(p), '356Mi', 'the Deployment keeps the raised limit');
      }
    });
  }

  it('clears the override and the hold when the image changes, and says so', () => {
    for (const recovery of [override, hold]) {
      const a = withRecovery(recovery);
      const p = plan(observed(edited(a, { image: 'example.com/agent:2.0' })));
      assert.equal(cleared(p).length, 1);
      assert.equal(p.status?.recovery?.memoryLimit, undefined);
      assert.notEqual(p.status?.recovery?.lastAction, 'Hold');
    }
  });

  it('clears the override when the memory limit in the spec changes', () => {
    const a = withRecovery(override);
    const p = plan(observed(edited(a, { resources: { limits: { memory: '512Mi' } } })));
    assert.equal(cleared(p).length, 1);
    assert.equal(memoryLimitOf(p), '512Mi');
  });
});

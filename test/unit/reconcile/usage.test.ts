import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment } from '@kubernetes/client-node';
import { plan } from '../../../src/reconcile/plan.ts';
import type { ContainerUsage } from '../../../src/usage/assess.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

const Mi = 2 ** 20;
const nearLimit: ContainerUsage[] = [{
  pod: 'grower-1', container: 'agent', memoryLimit: '128Mi',
  samples: [117, 118, 119].map((m, i) => ({ at: t0.getTime() - (2 - i) * 5000, workingSetBytes: m * Mi })),
}];
const limitOf = (p: ReturnType<typeof plan>) => (p.apply.find((o) => o.kind === 'Deployment') as unknown as V1Deployment | undefined)?.spec?.template.spec?.containers[0]?.resources?.limits?.['memory'];

describe('plan with node metrics', () => {
  const base = agent('grower').resources({ limits: { memory: '128Mi' } });

  it('warns MemoryNearLimit and, without proactive, leaves the limit alone', () => {
    const p = plan(observed(base.build(), { usage: nearLimit }));
    const c = p.status?.conditions?.find((x) => x.type === 'MemoryNearLimit');
    assert.equal(c?.status, 'True');
    assert.match(c?.message ?? '', /uses 119Mi of its 128Mi memory limit \(93%\)/);
    assert.ok(p.events.some((e) => e.type === 'Warning' && e.reason === 'MemoryNearLimit'));
    assert.equal(p.action.type, 'None');
    assert.equal(limitOf(p), '128Mi');
    assert.equal(p.status?.conditions?.find((x) => x.type === 'Ready')?.reason === 'MemoryNearLimit', false, 'a warning, not a reason for Ready');
  });

  it('with proactive, raises the limit in the same reconcile under the OOM rule, and raises nothing more for the same warning', () => {
    const a = base.recovery({ oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi', proactive: true } }).build();
    const p = plan(observed(a, { usage: nearLimit }));
    assert.deepEqual(p.action, { type: 'IncreaseMemory', from: '128Mi', to: '228Mi' });
    assert.equal(limitOf(p), '228Mi');
    assert.equal(p.status?.recovery?.memoryLimit, '228Mi');
    // (The reconcile after a raise records the raised revision, as after an OOM raise.)
    const again = plan(observed({ ...a, status: p.status! }, { usage: nearLimit }));
    assert.equal(again.action.type, 'None', 'the old pod near its old limit raises nothing more');
    const third = plan(observed({ ...a, status: again.status ?? p.status! }, { usage: nearLimit }));
    assert.equal(third.action.type, 'None');
    assert.equal(third.status, undefined, 'converged: no status write');
  });

  it('without readings (metrics off) writes no usage condition at all', () => {
    const p = plan(observed(base.build()));
    assert.equal(p.status?.conditions?.some((x) => x.type === 'MemoryNearLimit' || x.type === 'CPUThrottled'), false);
  });
});

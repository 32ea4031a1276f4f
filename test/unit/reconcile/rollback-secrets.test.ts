import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { desiredObjects } from '../../fixtures/desired.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';

// A rollback restores the pod template and the config, not the Secrets the pods
// read: when a referenced key changed since the target revision was built, the
// Degraded condition and the RolledBack event say which (issue 10 part 2).

const backoff = { initialBackoffSeconds: 2, maxBackoffSeconds: 8, maxAttempts: 3, healthyResetSeconds: 10 };
const base = agent('a').secretEnv('TOKEN', 'creds', 'token').recovery({ restart: backoff, onExhausted: 'Rollback' });
const v1 = base.image('registry.example/a:1').build();
const v2 = { ...base.image('registry.example/a:2').build(), metadata: { ...v1.metadata, generation: 2 } };

function rsOf(a: typeof v1, digest: string): { rs: V1ReplicaSet; revision: string } {
  const d = desiredObjects(a, { referenceDigests: { 'Secret/creds/token': digest }, configLayers: [] });
  assert.ok(d.ok);
  return { rs: { metadata: { name: `a-${d.revision}`, namespace: 'default' }, spec: { selector: {}, template: d.workload.spec!.template } }, revision: d.revision };
}

/** v2's pod, crash-looping since long enough for the first step to be due. */
function crashing(revision: string): V1Pod {
  return {
    metadata: { name: 'a-2', uid: 'uid-a-2', namespace: 'default', annotations: { 'agent-operator.dev/revision': revision }, creationTimestamp: new Date(t0.getTime() - 120_000) },
    spec: { containers: [{ name: 'agent', image: 'registry.example/a:2' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{
        name: 'agent', image: 'registry.example/a:2', imageID: '', ready: false, restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: new Date(t0.getTime() - 30_000), finishedAt: new Date(t0.getTime() - 29_000) } },
      }],
    },
  };
}

function rollback(digestNow: string) {
  const old = rsOf(v1, 'd1'.repeat(32));
  const next = rsOf(v2, digestNow);
  const o = observed(v2, {
    references: { digests: { 'Secret/creds/token': digestNow }, missing: [], configMapTexts: {} },
    replicaSets: [old.rs, next.rs],
    pods: [crashing(next.revision)],
  });
  o.agent = { ...v2, status: { observedGeneration: 1, revision: old.revision, lastHealthyRevision: old.revision, recovery: { generation: 1 } } };
  // Several reconciles, as the first step falls due.
  let p = plan(o);
  const events = [...p.events];
  for (let i = 1; i <= 12 && p.computed.recovery?.rolledBackTo === undefined; i++) {
    o.agent = { ...o.agent, status: p.computed };
    p = plan({ ...o, now: new Date(t0.getTime() + i * 5000) });
    events.push(...p.events);
  }
  assert.equal(p.computed.recovery?.rolledBackTo, old.revision, `rolled back: ${JSON.stringify(p.computed.recovery)}`);
  return { p, events, target: old.revision };
}

describe('plan: a rollback across a Secret change', () => {
  it('names the Secret key that changed since the target revision in Degraded and in the RolledBack event', () => {
    const { p, events, target } = rollback('d2'.repeat(32));
    const degraded = p.computed.conditions?.find((c) => c.type === 'Degraded');
    assert.equal(degraded?.reason, 'RolledBack');
    const said = `Secret creds key token changed since revision ${target} was built, and the current content is what runs`;
    assert.ok(degraded?.message.includes(said), degraded?.message);
    const event = events.find((e) => e.reason === 'RolledBack');
    assert.ok(event?.message.includes(said), event?.message);
    assert.ok(!JSON.stringify(p).includes('d2d2d2d2d2d2d2d2d2'), 'not even the full digest appears');
  });

  it('says nothing about Secrets when the key is as it was', () => {
    const { p, events } = rollback('d1'.repeat(32));
    assert.doesNotMatch(p.computed.conditions?.find((c) => c.type === 'Degraded')?.message ?? '', /Secret/);
    assert.doesNotMatch(events.find((e) => e.reason === 'RolledBack')?.message ?? '', /Secret/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../../../src/api/agent.ts';
import type { AgentStatus } from '../../../src/api/status.ts';
import type { KubeIO } from '../../../src/kube/io.ts';
import { act } from '../../../src/reconcile/act.ts';
import type { Observed } from '../../../src/reconcile/gather.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { ReloadCalls } from '../../../src/reconcile/reload-calls.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { agent } from '../../fixtures/agent.ts';

const t0 = new Date('2026-11-27T10:00:00Z');

function observed(a: Agent, now = t0): Observed {
  return {
    agent: a, replicaSets: [], pods: [], now,
    references: { digests: {}, missing: [], configMapTexts: {} },
    dependencies: { ready: true, waits: [], none: true },
  };
}

/** The apiserver as far as act talks to it: applies of the workload (`refusedKind`) are refused with `refusal`. */
function world(refusal: Error | undefined, refusedKind = 'Deployment') {
  const statuses: AgentStatus[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const applied: string[] = [];
  const io: KubeIO = {
    apply: async (obj) => {
      if (refusal && obj.kind === refusedKind) throw refusal;
      applied.push(obj.kind);
      return obj;
    },
    read: async () => undefined,
    readLivenessKills: async () => [],
    readNode: async () => null,
    remove: async () => {},
    patchAgentStatus: async (_ns, _n, status) => { statuses.push(status); },
    deletePod: async () => 'deleted',
    patchPodAnnotations: async () => 'patched',
    readReferencedDigests: async () => ({ digests: {}, missing: [], configMapTexts: {} }),
  };
  const deps = {
    io, log: noopLogger,
    events: { record: async (_t: unknown, type: string, reason: string, message: string) => { events.push({ type, reason, message }); } },
    metrics: { failures: { inc: () => {} }, remediations: { inc: () => {} } },
    reloads: new ReloadCalls(),
  };
  return { deps: deps as unknown as Parameters<typeof act>[2], statuses, events, applied };
}

const denied = new KubeApiError(422, 'deployments.apps "fwd" is forbidden: ValidatingAdmissionPolicy \'no-unsigned\' with binding \'no-unsigned\' denied request: images from unsigned.example are not allowed here', { reason: 'Invalid' });

describe('act: a write the apiserver refuses', () => {
  it('writes ApplyFailed with the apiserver\'s message into status, announces it, and still applies the other objects', async () => {
    const a = agent('fwd').port('http', 2020).build();
    const w = world(denied);
    const result = await act(a, plan(observed(a)), w.deps);
    assert.equal(result.applyFailed, true);
    assert.deepEqual(w.applied, ['Service']);
    assert.equal(w.statuses.length, 1);
    const status = w.statuses[0]!;
    assert.equal(status.observedGeneration, 1, 'the status is current');
    const stalled = status.conditions?.find((c) => c.type === 'Stalled');
    assert.deepEqual([stalled?.status, stalled?.reason], ['True', 'ApplyFailed']);
    assert.match(stalled!.message, /^applying Deployment fwd was refused \(HTTP 422 Invalid\): .*images from unsigned\.example are not allowed here: fix what the apiserver names/);
    assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.reason, 'ApplyFailed');
    const event = w.events.find((e) => e.reason === 'ApplyFailed');
    assert.equal(event?.type, 'Warning');
    assert.match(event!.message, /images from unsigned\.example are not allowed here/);
  });

  // What the apiserver says when a StatefulSet's immutable fields change (the
  // CRD refuses the storage changes that used to get here, but a field it does
  // not know about still can): reported the same way in every mode.
  const immutable = new KubeApiError(422, 'StatefulSet.apps "wal" is invalid: spec: Forbidden: updates to statefulset spec for fields other than \'replicas\', \'ordinals\', \'template\', \'updateStrategy\', \'persistentVolumeClaimRetentionPolicy\' and \'minReadySeconds\' are forbidden', { reason: 'Invalid' });
  for (const [mode, refusal] of [['StatefulSet', immutable], ['DaemonSet', denied]] as const) {
    it(`reports a refused ${mode} apply as ApplyFailed with the apiserver's words, never as a silent retry`, async () => {
      const a = agent('wal').mode(mode).port('http', 2020).build();
      const w = world(refusal, mode);
      const result = await act(a, plan(observed(a)), w.deps);
      assert.equal(result.applyFailed, true);
      assert.deepEqual(w.applied, ['Service']);
      const ready = w.statuses[0]?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.reason, 'ApplyFailed');
      assert.match(ready!.message, new RegExp(`^applying ${mode} wal was refused \\(HTTP 422 Invalid\\): `));
      const event = w.events.find((e) => e.reason === 'ApplyFailed');
      assert.equal(event?.type, 'Warning');
      assert.ok(event!.message.includes(refusal.message), event!.message);
    });
  }

  it('the same refusal again writes no status and no event', async () => {
    const a = agent('fwd').port('http', 2020).build();
    const w = world(denied);
    await act(a, plan(observed(a)), w.deps);
    const after: Agent = { ...a, status: w.statuses[0]! };
    const again = world(denied);
    await act(after, plan(observed(after, new Date(t0.getTime() + 15_000))), again.deps);
    assert.deepEqual(again.statuses, []);
    assert.deepEqual(again.events.filter((e) => e.reason === 'ApplyFailed'), []);
  });

  it('once the apply goes through, the status drops ApplyFailed', async () => {
    const a = agent('fwd').build();
    const w = world(denied);
    await act(a, plan(observed(a)), w.deps);
    const after: Agent = { ...a, status: w.statuses[0]! };
    const ok = world(undefined);
    await act(after, plan(observed(after, new Date(t0.getTime() + 15_000))), ok.deps);
    assert.equal(ok.statuses.length, 1);
    assert.notEqual(ok.statuses[0]!.conditions?.find((c) => c.type === 'Stalled')?.reason, 'ApplyFailed');
    assert.equal(ok.statuses[0]!.conditions?.find((c) => c.type === 'Stalled')?.status, 'False');
  });

  it('leaves load and server errors to the error policy', async () => {
    const a = agent('fwd').build();
    for (const err of [new KubeApiError(429, 'slow down'), new KubeApiError(503, 'unavailable'), new Error('ECONNRESET')]) {
      const w = world(err);
      await assert.rejects(act(a, plan(observed(a)), w.deps), err);
      assert.deepEqual(w.statuses, []);
    }
  });
});

describe('act: events off the critical path', () => {
  it('returns once the status is written, without waiting for an event write that hangs', async () => {
    const a = agent('fwd').port('http', 2020).build();
    const w = world(denied);
    let recorded = 0;
    const hanging = { record: () => { recorded++; return new Promise<void>(() => {}); } };
    const deps = { ...(w.deps as object), events: hanging } as unknown as Parameters<typeof act>[2];
    const result = await Promise.race([
      act(a, plan(observed(a)), deps).then(() => 'returned'),
      new Promise((r) => setTimeout(() => r('blocked on the event write'), 1000)),
    ]);
    assert.equal(result, 'returned');
    assert.equal(w.statuses.length, 1, 'the status was written');
    assert.ok(recorded >= 1, 'the event was handed to the recorder');
  });
});

describe('act: reload InPlace/HTTP', () => {
  const a = agent('fwd').port('http', 2020).build();
  const reloadPlan = (p: ReturnType<typeof plan>) => ({
    ...p,
    tellPods: [{ name: 'fwd-1', uid: 'u1', annotations: { 'agent-operator.dev/config-hash': 'h' } }],
    reloadCalls: [{ name: 'fwd-2', uid: 'u2', url: 'http://10.0.0.2:2020/-/reload', method: 'POST', hash: 'h', failures: 1 }],
  });
  function recording(refusal: Error | undefined) {
    const w = world(refusal);
    const patches: [string, Record<string, string>][] = [];
    const calls: string[] = [];
    const deps = { ...w.deps, io: { ...w.deps.io, patchPodAnnotations: async (_ns: string, name: string, _uid: string, ann: Record<string, string>) => { patches.push([name, ann]); return 'patched' as const; } }, callReload: async (c: { url: string; method: string }) => { calls.push(`${c.method} ${c.url}`); return { ok: false, error: 'HTTP 500' }; } };
    return { deps, patches, calls };
  }

  it('tells the pods, calls the reload endpoints and records each outcome on its pod', async () => {
    const r = recording(undefined);
    await act(a, reloadPlan(plan(observed(a))), r.deps);
    await r.deps.reloads.idle();
    assert.deepEqual(r.calls, ['POST http://10.0.0.2:2020/-/reload']);
    assert.deepEqual(r.patches[0], ['fwd-1', { 'agent-operator.dev/config-hash': 'h' }]);
    assert.equal(r.patches[1]?.[0], 'fwd-2');
    assert.deepEqual(JSON.parse(r.patches[1]![1]['agent-operator.dev/config-reload']!), { hash: 'h', ok: false, failures: 2, at: t0.toISOString(), error: 'HTTP 500' });
  });

  it('does not wait for a reload endpoint: a call that never answers holds no worker, and a second plan does not call again', async () => {
    const r = recording(undefined);
    let answer: (v: { ok: boolean }) => void = () => {};
    let called = 0;
    const reloads = new ReloadCalls();
    const deps = { ...r.deps, reloads, callReload: () => { called++; return new Promise<{ ok: boolean }>((res) => { answer = res; }); } };
    const p = reloadPlan(plan(observed(a)));
    await act(a, p, deps);
    await act(a, p, deps);
    assert.equal(called, 1, 'the same call (pod, config, attempt) is in flight once');
    assert.deepEqual(r.patches.map(([n]) => n), ['fwd-1', 'fwd-1'], 'only the tells so far; the outcome is recorded when it comes');
    answer({ ok: true });
    await reloads.idle();
    assert.deepEqual(r.patches.map(([n]) => n), ['fwd-1', 'fwd-1', 'fwd-2']);
  });

  it('tells no pod when an apply was refused (the ConfigMap may not hold the new file)', async () => {
    const r = recording(denied);
    await act(a, reloadPlan(plan(observed(a))), r.deps);
    await r.deps.reloads.idle();
    assert.deepEqual(r.patches.map(([n]) => n), ['fwd-2'], 'only the outcome of a call due from before');
  });
});

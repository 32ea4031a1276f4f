import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { maxReloadAttempts, planConfigReload, readRecord, recordOutcome, reloadRetryMs, settleMs, withConfigReload, type ConfigReloadInput } from '../../../src/reconcile/config-reload.ts';
import type { ResolvedReload } from '../../../src/desired/defaults.ts';
import type { AgentStatus } from '../../../src/api/status.ts';

const now = new Date('2026-12-01T00:00:10Z');
const hash = 'a'.repeat(64);
const old = 'b'.repeat(64);
const inPlace: ResolvedReload = { mode: 'InPlace', onFailure: 'RestartPod' };
const http: ResolvedReload = { mode: 'HTTP', http: { port: 2020, path: '/api/v2/reload', method: 'POST' }, onFailure: 'RestartPod' };

/** A scheduled, Ready pod mounting shipper-config, with the given annotations. */
function pod(name: string, annotations: Record<string, string> = {}, opts: { ready?: boolean; mounts?: string; deleting?: boolean; nodeName?: string | null } = {}): V1Pod {
  return {
    metadata: { name, uid: `uid-${name}`, annotations, ...(opts.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { ...(opts.nodeName === null ? {} : { nodeName: opts.nodeName ?? 'node-1' }), containers: [{ name: 'agent' }], volumes: [{ name: 'agent-config', configMap: { name: opts.mounts ?? 'shipper-config' } }] },
    status: { podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}
const told = (h: string, at = '2026-12-01T00:00:05.000Z') => ({ 'agent-operator.dev/config-hash': h, 'agent-operator.dev/config-told-at': at });
const record = (r: object) => ({ 'agent-operator.dev/config-reload': JSON.stringify(r) });
const input = (pods: V1Pod[], reload: ResolvedReload = inPlace, previous?: AgentStatus): ConfigReloadInput =>
  ({ pods, config: { hash, reload, configMapName: 'shipper-config' }, previous, generation: 3, now });

describe('planConfigReload', () => {
  it('tells every pod that mounts the ConfigMap and has another hash, with the time it was told', () => {
    const p = planConfigReload(input([pod('a'), pod('b', told(old)), pod('c', told(hash))]));
    assert.deepEqual(p.tell.map((t) => t.name), ['a', 'b']);
    assert.deepEqual(p.tell[0]?.annotations, { 'agent-operator.dev/config-hash': hash, 'agent-operator.dev/config-told-at': now.toISOString() });
    assert.equal(p.tell[0]?.uid, 'uid-a');
    assert.deepEqual(p.calls, [], 'InPlace makes no calls');
    assert.deepEqual(p.status.pods, [{ name: 'a' }, { name: 'b', hash: old }, { name: 'c', hash }]);
    assert.equal(p.condition.reason, 'ConfigReloadPending');
    assert.match(p.condition.message, /^1 of 3 pods have config aaaaaaaaaa;/);
  });

  it('leaves alone pods that are terminating, not scheduled, or mount another ConfigMap (a Restart revision still rolling out)', () => {
    const p = planConfigReload(input([pod('gone', {}, { deleting: true }), pod('pending', {}, { nodeName: null }), pod('old-rs', {}, { mounts: 'shipper-config-0123456789' })]));
    assert.deepEqual(p.tell, []);
    assert.deepEqual(p.status.pods, []);
    assert.equal(p.condition.status, 'True', 'nothing to give: vacuously done');
  });

  it('InPlace: every pod told is ConfigReloaded, and converged pods need no write', () => {
    const p = planConfigReload(input([pod('a', told(hash)), pod('b', told(hash))]));
    assert.deepEqual(p.tell, []);
    assert.deepEqual({ status: p.condition.status, reason: p.condition.reason, message: p.condition.message }, { status: 'True', reason: 'ConfigReloaded', message: '2 of 2 pods have config aaaaaaaaaa' });
    assert.equal(p.requeueAfterMs, undefined);
  });

  describe('HTTP', () => {
    const table: { name: string; pod: V1Pod; calls: number; reload?: string; requeue?: number }[] = [
      { name: 'a pod just told waits for the kubelet to swap the file', pod: pod('a', told(hash, now.toISOString())), calls: 0, reload: 'Pending', requeue: settleMs },
      { name: 'a pod told long enough ago is called', pod: pod('a', told(hash)), calls: 1, reload: 'Pending' },
      { name: 'a pod not Ready is not called (its endpoint may not listen yet)', pod: pod('a', told(hash), { ready: false }), calls: 0, reload: 'Pending' },
      { name: 'a pod whose reload succeeded for this hash is done', pod: pod('a', { ...told(hash), ...record({ hash, ok: true, failures: 0, at: '2026-12-01T00:00:07Z' }) }), calls: 0, reload: 'Succeeded' },
      { name: 'a success for an older hash does not count', pod: pod('a', { ...told(hash), ...record({ hash: old, ok: true, failures: 0, at: '2026-12-01T00:00:01Z' }) }), calls: 1, reload: 'Pending' },
      { name: 'a failed call is retried after the backoff', pod: pod('a', { ...told(hash), ...record({ hash, ok: false, failures: 1, at: '2026-12-01T00:00:04Z', error: 'HTTP 500' }) }), calls: 1, reload: 'Pending' },
      { name: 'not before the backoff', pod: pod('a', { ...told(hash), ...record({ hash, ok: false, failures: 2, at: '2026-12-01T00:00:08Z', error: 'HTTP 500' }) }), calls: 0, reload: 'Pending', requeue: 2 * reloadRetryMs - 2_000 },
    ];
    for (const row of table) {
      it(row.name, () => {
        const p = planConfigReload(input([row.pod], http));
        assert.equal(p.calls.length, row.calls);
        assert.equal(p.status.pods[0]?.reload, row.reload);
        assert.equal(p.requeueAfterMs, row.requeue);
      });
    }

    it('calls the endpoint on the pod IP with the method, carrying the failures so far', () => {
      const [c] = planConfigReload(input([pod('a', { ...told(hash), ...record({ hash, ok: false, failures: 1, at: '2026-12-01T00:00:01Z', error: 'x' }) })], http)).calls;
      assert.deepEqual(c, { name: 'a', uid: 'uid-a', url: 'http://10.0.0.7:2020/api/v2/reload', method: 'POST', hash, failures: 1 });
    });

    it(`after ${maxReloadAttempts} failures the pod is reported and restarted, with one Warning event naming it and the cause`, () => {
      const failed = pod('a', { ...told(hash), ...record({ hash, ok: false, failures: maxReloadAttempts, at: '2026-12-01T00:00:01Z', error: 'HTTP 400: bad config' }) });
      const p = planConfigReload(input([failed, pod('b', told(hash))], http));
      assert.deepEqual(p.calls.map((c) => c.name), ['b']);
      assert.equal(p.restart?.name, 'a');
      assert.equal(p.condition.reason, 'ConfigReloadFailed');
      assert.match(p.condition.message, /pod a: the reload call \(POST \/api\/v2\/reload on port 2020\) failed 3 times for this config: HTTP 400: bad config/);
      assert.deepEqual(p.events.map((e) => [e.type, e.reason]), [['Warning', 'ConfigReloadFailed'], ['Warning', 'ConfigReloadFailed']]);
      assert.match(p.events[1]!.message, /^deleted pod a:/);
      assert.match(p.condition.message, /; such a pod is deleted so it starts on the current file$/);
    });

    it('onFailure Report reports without deleting, and says so once', () => {
      const failed = pod('a', { ...told(hash), ...record({ hash, ok: false, failures: maxReloadAttempts, at: '2026-12-01T00:00:01Z', error: 'refused' }) });
      const first = planConfigReload(input([failed], { ...http, onFailure: 'Report' }));
      assert.equal(first.restart, undefined);
      assert.equal(first.events.length, 1);
      assert.match(first.condition.message, /; fix the agent's reload endpoint or delete the pod$/, 'no promise of a deletion that onFailure Report does not make');
      const status = withConfigReload({ conditions: [] }, first, now);
      assert.equal(planConfigReload(input([failed], { ...http, onFailure: 'Report' }, status)).events.length, 0, 'not again while it stays failed');
    });
  });

  it('lists at most 64 pods in status and counts the rest', () => {
    const p = planConfigReload(input(Array.from({ length: 70 }, (_, i) => pod(`p${String(i).padStart(2, '0')}`, told(hash)))));
    assert.equal(p.status.pods.length, 64);
    assert.equal(p.status.podsOmitted, 6);
  });
});

describe('the reload record annotation', () => {
  it('counts a failure up and keeps a success count as it was', () => {
    const call = { name: 'a', uid: 'u', url: 'http://x', method: 'POST', hash, failures: 1 };
    assert.deepEqual(readRecord(recordOutcome(call, { ok: false, error: 'HTTP 503' }, now)), { hash, ok: false, failures: 2, at: now.toISOString(), error: 'HTTP 503' });
    assert.deepEqual(readRecord(recordOutcome(call, { ok: true }, now)), { hash, ok: true, failures: 1, at: now.toISOString() });
  });

  it('ignores a hand-written value that is not one', () => {
    assert.equal(readRecord('not json'), undefined);
    assert.equal(readRecord('{"hash":1}'), undefined);
  });
});

describe('withConfigReload', () => {
  it('removes status.config and the ConfigReloaded condition when the mode is Restart again', () => {
    const status: AgentStatus = { config: { hash, reload: 'InPlace', pods: [] }, conditions: [{ type: 'ConfigReloaded', status: 'True', reason: 'ConfigReloaded', message: '', lastTransitionTime: 'x' }, { type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: 'x' }] };
    assert.deepEqual(withConfigReload(status, undefined, now), { conditions: [status.conditions![1]!] });
  });
});

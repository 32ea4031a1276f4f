// The order of a reconcile's writes, and what a status therefore says about
// the workload (act.ts): a status recording a failure seen for the first time
// goes before the remedy's apply, every other status after the objects; and
// every status write is fenced by the Agent's resourceVersion.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { withDesiredHash } from '../../../src/desired/desired-hash.ts';
import type { KubeIO } from '../../../src/kube/io.ts';
import { act } from '../../../src/reconcile/act.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { agent } from '../../fixtures/agent.ts';
import { observed, t0 } from '../../fixtures/observed.ts';
import { PodBuilder } from '../health/pod-fixtures.ts';

/** The calls act makes, in order; the status write answers `statusAnswer` (a 409 for a stale Agent). */
function recording(opts: { statusAnswer?: Error; refuse?: string } = {}) {
  const calls: string[] = [];
  const io: KubeIO = {
    apply: async (obj) => {
      if (obj.kind === opts.refuse) throw new KubeApiError(422, `${obj.kind} refused by a policy`, { reason: 'Invalid' });
      calls.push(`apply ${obj.kind}`);
      return obj;
    },
    read: async () => undefined,
    remove: async (ref) => { calls.push(`remove ${ref.kind}`); },
    patchAgentStatus: async (_ns, _n, status, resourceVersion) => {
      if (opts.statusAnswer) throw opts.statusAnswer;
      calls.push(`status ${status.conditions?.find((c) => c.type === 'Ready')?.reason} over ${resourceVersion}`);
      return { metadata: { name: 'fwd', resourceVersion: `${Number(resourceVersion) + 1}` }, status };
    },
    deletePod: async () => { calls.push('delete pod'); return 'deleted'; },
    patchPodAnnotations: async (_ns, name) => { calls.push(`annotate ${name}`); return 'patched'; },
    readReferencedDigests: async () => ({ digests: {}, missing: [], configMapTexts: {} }),
    readLivenessKills: async () => [],
    readNode: async () => null,
  };
  const deps = {
    io, log: noopLogger,
    events: { record: async () => {} },
    metrics: { failures: { inc: () => {} }, remediations: { inc: () => {} } },
  } as unknown as Parameters<typeof act>[2];
  return { deps, calls };
}

/** An Agent running at 256Mi whose pod was just OOM-killed: the plan records the failure and raises the Deployment's memory. */
function oomKilled(): { a: Agent; p: ReturnType<typeof plan> } {
  const fresh = { ...agent('fwd').resources({ limits: { memory: '256Mi' } }).build() };
  fresh.metadata = { ...fresh.metadata, resourceVersion: '7' };
  const first = plan(observed(fresh));
  const applied = withDesiredHash(first.apply.find((o) => o.kind === 'Deployment')!) as unknown as V1Deployment;
  const deployment: V1Deployment = {
    ...applied, metadata: { ...applied.metadata, uid: 'deploy-uid', generation: 1 },
    status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  };
  const a: Agent = { ...fresh, status: first.status! };
  const pod = new PodBuilder('fwd-1').revision(first.status!.revision!).oomKilled({ shownAs: 'state' }).build();
  return { a, p: plan(observed(a, { workload: deployment, pods: [pod], now: new Date(t0.getTime() + 60_000) })) };
}

describe('act: the order of a reconcile\'s writes', () => {
  it('writes the status that records a new failure before it applies the remedy, so detection never waits for the apply', async () => {
    const { a, p } = oomKilled();
    assert.deepEqual(p.fresh.map((f) => f.reason), ['OOMKilled'], 'the plan records the kill for the first time');
    assert.equal(p.action.type, 'IncreaseMemory');
    const w = recording();
    await act(a, p, w.deps);
    assert.equal(w.calls.length, 2, w.calls.join(', '));
    assert.match(w.calls[0]!, /^status \S+ over 7$/, 'the status goes first, fenced by the version it was computed from');
    assert.equal(w.calls[1], 'apply Deployment');
  });

  it('writes a status that names a new generation only after the workload carries it', async () => {
    const a = { ...agent('fwd').port('http', 2020).build() };
    a.metadata = { ...a.metadata, resourceVersion: '3' };
    const w = recording();
    await act(a, plan(observed(a)), w.deps);
    assert.deepEqual(w.calls.map((c) => c.split(' ')[0]), ['apply', 'apply', 'status']);
    assert.equal(w.calls.at(-1)!.endsWith('over 3'), true);
  });

  it('a plan made from a stale Agent writes nothing at all when its status goes first: the 409 stops it before the apply', async () => {
    const { a, p } = oomKilled();
    const w = recording({ statusAnswer: new KubeApiError(409, 'the object has been modified; please apply your changes to the latest version and try again', { reason: 'Conflict' }) });
    await assert.rejects(act(a, p, w.deps), (err: unknown) => err instanceof KubeApiError && err.status === 409);
    assert.deepEqual(w.calls, [], 'no apply, no delete');
  });

  it('a refused remedy after the failure was written is laid over that status in a second write, fenced by the version the first one stored', async () => {
    const { a, p } = oomKilled();
    const w = recording({ refuse: 'Deployment' });
    const done = await act(a, p, w.deps);
    assert.equal(done.applyFailed, true);
    assert.equal(w.calls.length, 2);
    assert.match(w.calls[0]!, / over 7$/);
    assert.equal(w.calls[1], 'status ApplyFailed over 8');
    assert.deepEqual(done.written?.replaced, ['7', '8'], 'both versions are behind the Agent it stored');
  });
});

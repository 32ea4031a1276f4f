// The canary, in process: an agent prints its own token before dying; what
// gather and plan make of it (status, events) shows its last words with the
// token replaced, and nothing else of it anywhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { Agent } from '../../../src/api/agent.ts';
import { readReferencedDigests, type ObjectReader } from '../../../src/kube/secrets.ts';
import type { Caches } from '../../../src/reconcile/caches.ts';
import { gather } from '../../../src/reconcile/gather.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agent } from '../../fixtures/agent.ts';
import { t0 } from '../../fixtures/observed.ts';

const TOKEN = 'canary-9f8e7d6c5b4a';
const reader: ObjectReader = {
  async readSecret(_ns, name) { return name === 'creds' ? { uid: 'creds-uid', data: { token: Buffer.from(`${TOKEN}\n`).toString('base64') } } : undefined; },
  async readConfigMap() { return undefined; },
};
const readDigests = (ns: string, refs: Parameters<typeof readReferencedDigests>[2], toScrub?: Record<string, string>) => readReferencedDigests(reader, ns, refs, toScrub);

/** Caches holding only the Agent's pods (gather reads the rest and finds nothing). */
function caches(pods: V1Pod[]): Caches {
  const none = { get: () => undefined, byIndex: () => [] as never[] };
  return {
    deployments: none, replicaSets: none, services: none, configMaps: none, pvcs: none, pdbs: none, agents: none, endpointSlices: none,
    pods: { get: () => undefined, byIndex: () => pods },
  } as unknown as Caches;
}

function crashedPod(revision: string): V1Pod {
  return {
    metadata: { name: 'talker-abc', uid: 'pod-uid', namespace: 'default', labels: { 'agent-operator.dev/agent': 'talker' }, annotations: { 'agent-operator.dev/revision': revision } },
    spec: { containers: [{ name: 'agent', image: 'example.com/agent:1.0' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{
        name: 'agent', image: 'example.com/agent:1.0', imageID: '', ready: false, restartCount: 1,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: {
          exitCode: 2, reason: 'Error', containerID: 'containerd://0123456789abcdef',
          startedAt: new Date(t0.getTime() - 5000), finishedAt: new Date(t0.getTime() - 4000),
          message: `{"msg":"starting","token":"${TOKEN}"}\nerror: output.host: no such host 'logs.example.internal'\n`,
        } },
      }],
    },
  };
}

const talker: Agent = agent('talker').secretEnv('API_TOKEN', 'creds', 'token').build();

async function reconcileWith(pods: V1Pod[]) {
  const o = await gather(caches(pods), readDigests, talker, t0);
  return plan(o);
}

describe('a dead agent\'s last words in status and events', () => {
  it('shows the crash\'s own error line, with the token it printed replaced, and the token nowhere', async () => {
    const revision = (await reconcileWith([])).computed.revision!;
    const p = await reconcileWith([crashedPod(revision)]);
    const lf = p.status?.lastFailure;
    assert.equal(lf?.reason, 'CrashLoopBackOff');
    assert.equal(lf?.lastWords, `{"msg":"starting","token":"<redacted Secret creds/token>"}\nerror: output.host: no such host 'logs.example.internal'`);
    assert.match(lf?.message ?? '', /its last words: ".*error: output\.host: no such host 'logs\.example\.internal'"$/);
    const degraded = p.status?.conditions?.find((c) => c.type === 'Degraded');
    assert.match(degraded?.message ?? '', /no such host 'logs\.example\.internal'/);
    const warning = p.events.find((e) => e.reason === 'CrashLoopBackOff');
    assert.match(warning?.message ?? '', /no such host/);
    assert.ok(!JSON.stringify({ status: p.status, events: p.events }).includes(TOKEN), 'the token appears nowhere');
    assert.ok(!JSON.stringify({ status: p.status, events: p.events }).includes('canary-9f8e'), 'nor a part of it');
  });

  it('leaves out the last words of a pod of another revision: it may have printed a rotated-out value', async () => {
    const p = await reconcileWith([crashedPod('0000000000')]);
    assert.equal(p.status?.lastFailure?.reason, 'CrashLoopBackOff');
    assert.equal(p.status?.lastFailure?.lastWords, undefined);
    assert.match(p.status?.lastFailure?.message ?? '', /read why with kubectl logs talker-abc -c agent --previous$/);
  });
});

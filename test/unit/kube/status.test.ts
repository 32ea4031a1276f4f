import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchAgentStatus } from '../../../src/kube/status.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { fakeClient, notFound } from './fake-http.ts';

describe('patchAgentStatus', () => {
  it('applies the status to the /status subresource with the field manager and force', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: { kind: 'Agent' } }));
    const status = { observedGeneration: 2, phase: 'Running' as const, conditions: [] };
    await patchAgentStatus(client, 'team-a', 'forwarder', status);
    const [req] = sent;
    assert.ok(req);
    assert.equal(req.method, 'PATCH');
    assert.equal(req.url.pathname, '/apis/agent-operator.dev/v1alpha1/namespaces/team-a/agents/forwarder/status');
    assert.equal(req.url.searchParams.get('fieldManager'), 'agent-operator');
    assert.equal(req.url.searchParams.get('force'), 'true');
    assert.equal(req.headers['Content-Type'], 'application/apply-patch+yaml');
    assert.deepEqual(req.body, {
      apiVersion: 'agent-operator.dev/v1alpha1',
      kind: 'Agent',
      metadata: { name: 'forwarder', namespace: 'team-a' },
      status,
    });
  });

  it('sends no spec, so the operator never writes what the user owns', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: {} }));
    await patchAgentStatus(client, 'ns', 'a', { phase: 'Pending' });
    assert.deepEqual(Object.keys(sent[0]?.body as object).sort(), ['apiVersion', 'kind', 'metadata', 'status']);
  });

  it('sends the resourceVersion it was computed from, so a status from a stale cache is refused with 409', async () => {
    const { client, sent } = fakeClient(() => ({ status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' } }));
    await assert.rejects(patchAgentStatus(client, 'ns', 'a', { phase: 'Pending' }, '41'), (e: unknown) => e instanceof KubeApiError && e.status === 409);
    assert.deepEqual((sent[0]?.body as { metadata: unknown }).metadata, { name: 'a', namespace: 'ns', resourceVersion: '41' });
  });

  it('throws NotFound when the Agent is gone', async () => {
    const { client } = fakeClient(() => notFound('agents "a"'));
    await assert.rejects(patchAgentStatus(client, 'ns', 'a', {}), (e: unknown) => e instanceof KubeApiError && e.status === 404);
  });
});

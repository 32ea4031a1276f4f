// The permission table (src/kube/permissions.ts) is the operator's own record
// of its API calls, and the chart's RBAC is rendered from it. These tests hold
// it to the code both ways: every request the I/O layer makes is declared
// (an undeclared one is refused before it is sent), and every declared verb
// is one some code path uses.
import { readNodeCadvisor } from '../../../src/kube/node-metrics.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { apply, ownedKinds, remove } from '../../../src/kube/apply.ts';
import { apiEventSink } from '../../../src/kube/events.ts';
import { kubeIO } from '../../../src/kube/io.ts';
import { assertDeclared, permissions, requestAttributes, UndeclaredRequestError, verbsChecked } from '../../../src/kube/permissions.ts';
import { allInformers, createCaches } from '../../../src/reconcile/caches.ts';
import { createKubeClient } from '../../../src/kube/client.ts';
import { type KubeRequest, type KubeResponse, type KubeTransport } from '../../../src/runtime/kube-http.ts';
import { KubeLeaseStore } from '../../../src/runtime/lease-store.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { fakeClient, notFound } from './fake-http.ts';

type Call = `${string} ${string}/${string}`;
const callOf = (a: { verb: string; group: string; resource: string }): Call => `${a.verb} ${a.group || 'core'}/${a.resource}`;

/** A runtime transport that checks like main.ts wires it, records, and answers lists empty and watches with an open stream. */
function recordingTransport(): { transport: KubeTransport; calls: Set<Call> } {
  const calls = new Set<Call>();
  const transport: KubeTransport = {
    async request(req: KubeRequest): Promise<KubeResponse> {
      const url = new URL(`https://kube.test${req.path}`);
      for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      assertDeclared(req.method, url, req.headers?.['Content-Type']);
      for (const a of verbsChecked(req.method, url, req.headers?.['Content-Type'])) calls.add(callOf(a));
      const watch = url.searchParams.get('watch') === 'true';
      const lease = req.path.includes('/leases');
      const body = lease && req.method === 'GET'
        ? JSON.stringify(notFound('lease').body)
        : lease ? JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'ns', resourceVersion: '2' }, spec: {} })
        : JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
      const status = lease && req.method === 'GET' ? 404 : 200;
      return {
        status, headers: {},
        text: async () => body,
        // A watch that stays open until the informer stops it.
        stream: () => (watch ? new ReadableStream<Uint8Array>({ start(c) { req.signal?.addEventListener('abort', () => c.close(), { once: true }); } }) : null),
      };
    },
  };
  return { transport, calls };
}

/** Runs every I/O path the operator has and returns the RBAC calls they made. */
async function everyCall(): Promise<Set<Call>> {
  const { client, sent } = fakeClient((req) => (req.method === 'GET'
    ? { status: 200, body: { metadata: { uid: 'u' }, data: { key: 'dmFsdWU=' } } }
    : { status: 200, body: {} }));
  const io = kubeIO(client);
  for (const k of ownedKinds) {
    const slash = k.lastIndexOf('/');
    await io.apply({ apiVersion: k.slice(0, slash), kind: k.slice(slash + 1), metadata: { name: 'a', namespace: 'ns' } });
    // The name is read before a create (gather.ts probeCreates).
    await io.read({ apiVersion: k.slice(0, slash), kind: k.slice(slash + 1), namespace: 'ns', name: 'a' });
  }
  // What plan.ts removes when the spec stops asking for it.
  for (const [apiVersion, kind] of [['v1', 'Service'], ['v1', 'ConfigMap'], ['policy/v1', 'PodDisruptionBudget']] as const) {
    await io.remove({ apiVersion, kind, namespace: 'ns', name: 'a', uid: 'u' });
  }
  await io.patchAgentStatus('ns', 'a', { phase: 'Ready' } as never, '7');
  await io.deletePod('ns', 'p', 'u');
  await io.patchPodAnnotations('ns', 'p', 'u', { 'agent-operator.dev/config-hash': 'h' });
  await io.readReferencedDigests('ns', { secrets: [{ name: 's', key: 'key' }], configMaps: [{ name: 'c', key: 'key' }] });
  await io.readLivenessKills('ns', { uid: 'u' });
  await io.readNode('node-1');
  // releaseStatefulPods: ForceDelete (grace 0) is the same delete verb
  await io.deletePod('ns', 'p', 'u', true);
  const events = apiEventSink(client);
  await events.create({ metadata: { name: 'e', namespace: 'ns' } } as never);
  await events.update('ns', 'e', { count: 2, lastTimestamp: 'x' });
  const calls = new Set<Call>();
  for (const r of sent) for (const a of verbsChecked(r.method, r.url, r.headers['Content-Type'])) calls.add(callOf(a));

  // The runtime path: every cache's list and watch, and the Lease.
  const { transport, calls: runtimeCalls } = recordingTransport();
  const informers = allInformers(createCaches({ transport, namespaces: [], logger: noopLogger }));
  for (const i of informers) i.start();
  await Promise.all(informers.map((i) => i.waitForSync()));
  await new Promise((r) => setTimeout(r, 50)); // the watches open right after the list
  await Promise.all(informers.map((i) => i.stop()));
  const store = new KubeLeaseStore(transport, 'ns', 'l');
  const signal = new AbortController().signal;
  await store.get(signal);
  const created = await store.create({ holderIdentity: 'me' }, signal);
  await store.update(created, signal);
  // The node metrics (--node-metrics): the kubelet's cAdvisor text through the node proxy.
  await readNodeCadvisor(transport, 'node-1');
  return new Set([...calls, ...runtimeCalls]);
}

describe('the permission table', () => {
  it('holds exactly the calls the I/O layer makes: every request declared, no verb nobody uses', async () => {
    const made = [...await everyCall()].sort();
    const declared = permissions.flatMap((p) => p.verbs.map((v) => callOf({ verb: v, group: p.group, resource: p.resource }))).sort();
    assert.deepEqual(made, declared);
  });

  it('grants delete on exactly what the operator deletes: pods, and the Services, ConfigMaps and PDBs the spec stops asking for', () => {
    const deletable = permissions.filter((p) => p.verbs.includes('delete')).map((p) => `${p.group || 'core'}/${p.resource}`).sort();
    assert.deepEqual(deletable, ['core/configmaps', 'core/pods', 'core/services', 'policy/poddisruptionbudgets']);
  });

  it('refuses an undeclared request in the client before it is sent, naming the table', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: {} }));
    await assert.rejects(
      remove(client, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'a' }),
      (err: unknown) => err instanceof UndeclaredRequestError && /"delete" on apps\/deployments.*src\/kube\/permissions\.ts/.test(err.message),
    );
    assert.equal(sent.length, 0, 'nothing reached the transport');
  });

  it('refuses a server-side apply that could create an object the table lets it only patch', async () => {
    const { client } = fakeClient(() => ({ status: 200, body: {} }));
    await assert.rejects(
      client.request({ method: 'PATCH', path: '/apis/agent-operator.dev/v1alpha1/namespaces/ns/agents/a', body: {}, contentType: 'application/apply-patch+yaml' }),
      UndeclaredRequestError,
    );
    // The status subresource is never created by an apply: patch is enough there.
    await apply(client, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } });
  });

  it('refuses an undeclared request of the runtime (a cache, the Lease) on the one transport', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
    });
    const http = createKubeClient({ kubeConfig: kc }).transport;
    await assert.rejects(http.request({ method: 'GET', path: '/api/v1/namespaces/ns/secrets/s/proxy' }), UndeclaredRequestError);
    await assert.rejects(http.request({ method: 'DELETE', path: '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l' }), UndeclaredRequestError);
  });
});

describe('requestAttributes', () => {
  const cases: [string, string, string, string, string][] = [
    ['GET', '/api/v1/namespaces/ns/secrets/s', 'get', '', 'secrets'],
    ['GET', '/apis/apps/v1/namespaces/ns/replicasets?watch=true', 'watch', 'apps', 'replicasets'],
    ['PATCH', '/apis/agent-operator.dev/v1alpha1/namespaces/ns/agents/a/status', 'patch', 'agent-operator.dev', 'agents/status'],
    ['DELETE', '/apis/policy/v1/namespaces/ns/poddisruptionbudgets/p', 'delete', 'policy', 'poddisruptionbudgets'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', 'update', 'coordination.k8s.io', 'leases'],
    ['GET', '/api/v1/nodes/real-node/proxy/metrics/cadvisor', 'get', '', 'nodes/proxy'],
    ['GET', '/api/v1/namespaces', 'list', '', 'namespaces'],
    ['GET', '/api/v1/namespaces/ns', 'get', '', 'namespaces'],
    ['PUT', '/api/v1/namespaces/ns/finalize', 'update', '', 'namespaces/finalize'],
    ['DELETE', '/api/v1/namespaces/ns/pods', 'deletecollection', '', 'pods'],
    ['GET', '/version', 'get', '', 'nonresource'],
  ];
  for (const [method, path, verb, group, resource] of cases) {
    it(`reads ${method} ${path} as ${verb} on ${group || 'core'}/${resource}`, () => {
      assert.deepEqual(requestAttributes(method, new URL(`https://kube.test${path}`)), { verb, group, resource });
    });
  }
});

// The operator must list and watch every Secret and ConfigMap it may reference
// (RBAC has no metadata-only verb), but it keeps only their identity: a Secret
// created by client-side `kubectl apply` carries its whole data in the
// last-applied-configuration annotation, and none of it may stay in memory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allInformers, createCaches } from '../../../src/reconcile/caches.ts';
import type { KubeRequest, KubeResponse, KubeTransport } from '../../../src/runtime/kube-http.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';

const password = 's3cr3t-hunter2';
const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team' }, stringData: { password } });

function secret(resourceVersion: string): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: {
      name: 'db', namespace: 'team', uid: 'uid-db', resourceVersion, generation: 1,
      labels: { app: 'db', token: password }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: password, uid: 'o' }], finalizers: [password],
      managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:data': { 'f:password': {} } } }],
    },
    // As a server that ignores the PartialObjectMetadata Accept header would send it.
    data: { password: Buffer.from(password).toString('base64') }, type: 'Opaque',
  };
}

/** Lists answer with the object (and its ConfigMap twin); a watch sends one MODIFIED, then stays open. */
function apiserver(): KubeTransport {
  return {
    async request(req: KubeRequest): Promise<KubeResponse> {
      const watch = req.query?.['watch'] === true;
      const kind = req.path.endsWith('/secrets') ? 'Secret' : req.path.endsWith('/configmaps') ? 'ConfigMap' : undefined;
      const obj = (rv: string) => ({ ...secret(rv), kind });
      const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '10' }, items: kind ? [obj('10')] : [] });
      const event = `${JSON.stringify({ type: 'MODIFIED', object: obj('11') })}\n`;
      return {
        status: 200, headers: {},
        text: async () => list,
        stream: () => (watch ? new ReadableStream<Uint8Array>({
          start(c) {
            if (kind) c.enqueue(new TextEncoder().encode(event));
            req.signal?.addEventListener('abort', () => c.close(), { once: true });
          },
        }) : null),
      };
    },
  };
}

describe('the referenced Secret and ConfigMap caches', () => {
  it('keep name, namespace, uid and resourceVersion only: nothing of a kubectl-applied Secret\'s data, from a list or a watch', async () => {
    const caches = createCaches({ transport: apiserver(), namespaces: [], logger: noopLogger });
    const informers = allInformers(caches);
    for (const i of informers) i.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    for (let n = 0; n < 100 && caches.secretMeta.get('team', 'db')?.metadata?.resourceVersion !== '11'; n++) await new Promise((r) => setTimeout(r, 10));
    try {
      for (const [cache, kind] of [[caches.secretMeta, 'Secret'], [caches.configMapMeta, 'ConfigMap']] as const) {
        assert.deepEqual(cache.get('team', 'db'), {
          apiVersion: 'v1', kind, metadata: { name: 'db', namespace: 'team', uid: 'uid-db', resourceVersion: '11' },
        }, `${kind}: the watch's MODIFIED replaced the listed object, and only the identity stayed`);
        const everything = JSON.stringify(cache.listAll());
        assert.ok(!everything.includes(password) && !everything.includes(Buffer.from(password).toString('base64')), `no trace of the value in the ${kind} cache: ${everything}`);
      }
    } finally {
      await Promise.all(informers.map((i) => i.stop()));
    }
  });
});

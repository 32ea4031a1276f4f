import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { isGone, KubeApiError } from '../../../src/runtime/api-error.ts';
import { KubeHttpClient } from '../../../src/runtime/kube-http.ts';
import { KubeListWatcher, resourcePath } from '../../../src/runtime/kube-list-watch.ts';
import type { WatchEvent } from '../../../src/runtime/list-watch.ts';
import { objectKey, type KubeObject } from '../../../src/runtime/kube-object.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';

// The real transport against a local HTTP server standing in for the apiserver:
// no cluster needed, no timers, only loopback I/O.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let handler: Handler = (_req, res) => res.end();
const requests: Array<{ url: URL; headers: IncomingMessage['headers'] }> = [];
let kc: KubeConfig;

before(async () => {
  server = createServer((req, res) => {
    requests.push({ url: new URL(req.url ?? '/', 'http://x'), headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const secrets = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const signal = () => new AbortController().signal;

function lastRequest() {
  const r = requests.at(-1);
  assert.ok(r);
  return r;
}

async function collect(events: AsyncIterable<WatchEvent<KubeObject>>): Promise<Array<WatchEvent<KubeObject>>> {
  const out: Array<WatchEvent<KubeObject>> = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('resourcePath', () => {
  it('builds core, group, namespaced and all-namespace paths', () => {
    assert.equal(resourcePath(secrets, 'ns'), '/api/v1/namespaces/ns/secrets');
    assert.equal(resourcePath(secrets), '/api/v1/secrets');
    assert.equal(resourcePath({ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true }, 'a'), '/apis/apps/v1/namespaces/a/deployments');
    assert.equal(resourcePath({ group: 'x.io', version: 'v1', plural: 'things', namespaced: false }, 'ignored'), '/apis/x.io/v1/things');
  });
});

describe('KubeListWatcher over client-node auth', () => {
  it('lists with the kubeconfig token, selectors, paging and the metadata-only Accept header', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList', metadata: { resourceVersion: '55', continue: 'next' }, items: [{ metadata: { name: 's', namespace: 'ns' } }] }));
    };
    const lw = new KubeListWatcher(new KubeHttpClient(kc), { resource: secrets, namespace: 'ns', labelSelector: 'a=b', fieldSelector: 'type=Opaque', metadataOnly: true });
    const page = await lw.list({ limit: 500, signal: signal() });
    const req = lastRequest();
    assert.equal(req.url.pathname, '/api/v1/namespaces/ns/secrets');
    assert.equal(req.url.searchParams.get('labelSelector'), 'a=b');
    assert.equal(req.url.searchParams.get('fieldSelector'), 'type=Opaque');
    assert.equal(req.url.searchParams.get('limit'), '500');
    assert.equal(req.headers.authorization, 'Bearer test-token');
    assert.equal(req.headers.accept, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json');
    assert.deepEqual(page, {
      items: [{ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 's', namespace: 'ns' } }],
      resourceVersion: '55',
      continue: 'next',
    });
  });

  it('watches with bookmarks from a resourceVersion and parses events split across chunks', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } });
      const b = JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } });
      res.write(a.slice(0, 10));
      setImmediate(() => {
        res.write(`${a.slice(10)}\n${b}`);
        setImmediate(() => res.end('\n'));
      });
    };
    const lw = new KubeListWatcher(new KubeHttpClient(kc), { resource: secrets, metadataOnly: true });
    const events = await collect(await lw.watch({ resourceVersion: '1', timeoutSeconds: 321, allowWatchBookmarks: true, signal: signal() }));
    const req = lastRequest();
    assert.equal(req.url.pathname, '/api/v1/secrets');
    assert.equal(req.url.searchParams.get('watch'), 'true');
    assert.equal(req.url.searchParams.get('resourceVersion'), '1');
    assert.equal(req.url.searchParams.get('allowWatchBookmarks'), 'true');
    assert.equal(req.url.searchParams.get('timeoutSeconds'), '321');
    assert.equal(req.headers.accept, 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json');
    assert.deepEqual(events.map((e) => [e.type, (e.object as KubeObject).metadata?.resourceVersion]), [['ADDED', '2'], ['BOOKMARK', '3']]);
  });

  it('passes an ERROR event through as an event', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })}\n`);
    };
    const lw = new KubeListWatcher(new KubeHttpClient(kc), { resource: secrets });
    const events = await collect(await lw.watch({ resourceVersion: '1', timeoutSeconds: 300, allowWatchBookmarks: true, signal: signal() }));
    assert.deepEqual(events, [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }]);
  });

  it('throws 410 Gone as a KubeApiError the informer relists on', async () => {
    handler = (_req, res) => {
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
    };
    const lw = new KubeListWatcher(new KubeHttpClient(kc), { resource: secrets });
    await assert.rejects(lw.watch({ resourceVersion: '1', timeoutSeconds: 300, allowWatchBookmarks: true, signal: signal() }), (err) => isGone(err));
  });

  it('reads Retry-After from a 429', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '9' });
      res.end('Too many requests');
    };
    const lw = new KubeListWatcher(new KubeHttpClient(kc), { resource: secrets });
    await assert.rejects(lw.list({ signal: signal() }), (err) => err instanceof KubeApiError && err.status === 429 && err.retryAfterSeconds === 9);
  });

  it('ends a watch stream when its signal aborts, even while the server stays silent', async () => {
    let closed: Promise<void> | undefined;
    handler = (req, res) => {
      res.writeHead(200);
      res.flushHeaders();
      closed = new Promise((resolve) => req.socket.on('close', () => resolve()));
    };
    const ac = new AbortController();
    const lw = new KubeListWatcher(new KubeHttpClient(kc), { resource: secrets });
    const events = await lw.watch({ resourceVersion: '1', timeoutSeconds: 300, allowWatchBookmarks: true, signal: ac.signal });
    const consumed = collect(events);
    ac.abort();
    await assert.rejects(consumed);
    await closed;
  });
});

/** Lets real loopback I/O happen until the condition holds (no timers involved). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

describe('an informer on the real transport', () => {
  it('lists metadata only, watches, and relists after the watch is refused with 410', async () => {
    let lists = 0;
    let watches = 0;
    handler = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        res.end(JSON.stringify({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(10 * lists) }, items: [{ metadata: { name: `s${lists}`, namespace: 'ns', resourceVersion: '1', managedFields: [{}] } }] }));
        return;
      }
      watches++;
      if (watches === 1) {
        res.writeHead(410, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired' }));
        return;
      }
      res.writeHead(200);
      res.flushHeaders();
    };
    const clock = new FakeClock();
    const listWatcher = new KubeListWatcher<KubeObject>(new KubeHttpClient(kc), { resource: secrets, metadataOnly: true });
    const informer = new Informer<KubeObject>({ name: 'secrets', listWatcher, metadataOnly: true, clock, random: fixedRandom(0) });
    const deleted: string[] = [];
    informer.addHandler({ onDelete: (o) => deleted.push(o.metadata!.name!) });
    informer.start();
    await until(() => informer.ready() && watches === 1);
    await clock.advance(800);
    await until(() => watches === 2);
    assert.equal(lists, 2);
    assert.deepEqual(informer.store.list().map(objectKey), ['ns/s2']);
    assert.deepEqual(deleted, ['s1']);
    assert.equal(informer.store.get('ns', 's2')!.metadata!.managedFields, undefined);
    assert.equal(requests.at(-1)!.url.searchParams.get('resourceVersion'), '20');
    await informer.stop();
  });
});

// SIGTERM on the leader: the reconciles still running at the shutdown deadline
// are aborted, and their requests with them (a JSON call of src/kube, a raw
// request on the transport the caches use, and an Event write the reconcile
// handed over without waiting for it, as act.ts does); the Lease is
// released only once those requests have ended. A real HTTP server that never
// answers stands in for a slow apiserver; the clock of the drain deadline is fake.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient } from '../../../src/kube/client.ts';
import { apiEventSink, EventRecorder } from '../../../src/kube/events.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import { requestJson } from '../../../src/runtime/kube-http.ts';
import type { LeaseRecord } from '../../../src/runtime/leader-election.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { FakeClock, fixedRandom } from '../support/fake-clock.ts';
import { FakeLeaseStore } from '../runtime/fake-lease-store.ts';
import { FakeListWatcher, obj, type TestObject } from '../runtime/fake-list-watch.ts';

/** An apiserver that takes requests and never answers; says when the client gave up on one. */
async function silentServer(log: string[]): Promise<{ url: string; received: () => number }> {
  let received = 0;
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received++;
    open.add(res);
    res.on('close', () => log.push(`server: ${req.method} ${req.url?.split('?')[0]} cancelled by the client`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const r of open) r.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
}

describe('shutdown cancels in-flight requests', () => {
  it('aborts a stuck reconcile\'s requests, JSON and raw, at the drain deadline, and releases the Lease only after they ended', { timeout: 20_000 }, async () => {
    const log: string[] = [];
    const server = await silentServer(log);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: server.url, skipTLSVerify: true }], users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
    });
    const client = createKubeClient({ kubeConfig: kc });
    const { transport } = client;

    const clock = new FakeClock();
    const lw = new FakeListWatcher<TestObject>();
    lw.put(obj('a', '1', { generation: 1 }));
    const informer = new Informer<TestObject>({ name: 'agents', listWatcher: lw, clock, random: fixedRandom(0) });
    const ended = (path: string) => (err: unknown) => { log.push(`${path}: ${(err as Error).name}`); };
    const events = new EventRecorder({
      sink: apiEventSink(client), clock, identity: 'me',
      logger: { ...noopLogger, warn: (o) => ended('event')((o as { err: unknown }).err) },
    });
    const controller = new Controller({
      name: 'agent', clock, shutdownTimeoutMs: 30_000,
      // A reconcile that knows nothing of signals: it only makes requests.
      reconcile: async () => {
        void events.record({ apiVersion: 'v1', kind: 'Agent', metadata: { name: 'a', namespace: 'ns', uid: 'u' } }, 'Normal', 'Healthy', 'ok');
        await Promise.all([
          client.request({ method: 'GET', path: '/api/v1/namespaces/ns/secrets/s' }).catch(ended('client')),
          requestJson(transport, { method: 'GET', path: '/api/v1/namespaces/ns/configmaps/c' }).catch(ended('runtime')),
        ]);
      },
    }).forPrimary(informer);
    const store = new (class extends FakeLeaseStore {
      override async update(rec: LeaseRecord): Promise<LeaseRecord> {
        if (rec.spec.holderIdentity === '') log.push('lease released');
        return super.update(rec);
      }
    })();
    const manager = new Manager({ clock, leaderElection: { store, identity: 'me', clock, random: fixedRandom(0) }, onLostLeadership: () => {} });
    manager.addInformer(informer).addController(controller);
    const done = manager.start();
    await clock.advance(1_000);
    await waitFor(() => server.received() === 3, `the three requests reached the server (leader: ${manager.isLeader()}, got ${server.received()}, ${log.join('; ')})`);

    const stopping = manager.stop();
    await clock.advance(29_999);
    assert.equal(log.length, 0, `the reconcile may finish on its own until the deadline: ${log.join('; ')}`);
    await clock.advance(1);
    await waitFor(() => log.includes('lease released'), 'the Lease released');
    await stopping;
    await done;
    const released = log.indexOf('lease released');
    assert.deepEqual(log.slice(0, released).filter((l) => !l.startsWith('server')).sort(), ['client: AbortError', 'event: AbortError', 'runtime: AbortError'],
      `the three requests ended, aborted, before the Lease was released: ${log.join('; ')}`);
  });
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting: ${what}`);
}

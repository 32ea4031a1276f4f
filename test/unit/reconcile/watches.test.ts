// What wakes which Agent: every kind the controller watches, mapped to the
// Agents it concerns, through the real caches, indexes and controller; only
// the apiserver is a stand-in (lists from memory, watch events pushed by hand).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../../../src/api/agent.ts';
import { apiVersion, kind } from '../../../src/api/agent.ts';
import { agentLabel, agentNameAnnotation, operatorName } from '../../../src/desired/labels.ts';
import { allInformers, createCaches } from '../../../src/reconcile/caches.ts';
import { addIndexes, podFailingNow, podFailureSeen, wireWatches } from '../../../src/reconcile/watches.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import type { KubeObject } from '../../../src/runtime/kube-object.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { agent } from '../../fixtures/agent.ts';
import { apiserver } from '../../fixtures/apiserver.ts';

const owned = { 'app.kubernetes.io/managed-by': operatorName };
const ownedBy = (name: string, ownerKind = kind, ownerApiVersion = apiVersion) => [{ apiVersion: ownerApiVersion, kind: ownerKind, name, uid: `uid-${name}`, controller: true }];
const obj = (apiVersion: string, kind: string, name: string, metadata: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion, kind, metadata: { name, namespace: 'team', uid: `uid-${kind}-${name}`, resourceVersion: '1', ...metadata }, ...rest }) as KubeObject;
const ready = (a: Agent, status: 'True' | 'False'): Agent =>
  ({ ...a, status: { conditions: [{ type: 'Ready', status, reason: status === 'True' ? 'Ready' : 'Unavailable', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } });

// fwd uses a Secret, a ConfigMap layer, the Agent db and the Service api; other does the same in another namespace.
const fwd = agent('fwd').namespace('team').secretEnv('TOKEN', 'creds', 'token').configMapLayer('layers', 'base.yaml').dependsOnAgent('db').dependsOnService('api').build();
const db = agent('db').namespace('team').build();
const other = agent('other').namespace('elsewhere').secretEnv('TOKEN', 'creds', 'token').dependsOnAgent('db').build();

describe('wireWatches: which Agents an event wakes', () => {
  const server = apiserver([fwd, db, other] as KubeObject[]);
  const caches = createCaches({ transport: server.transport, namespaces: [], logger: noopLogger });
  addIndexes(caches);
  const controller = new Controller({ name: 'agent', reconcile: async () => undefined });
  wireWatches(controller, caches);
  let queued: string[] = [];
  const delivered = new Set<string>();
  before(async () => {
    for (const i of allInformers(caches)) i.start();
    assert.equal(await controller.start(), true);
    // What the controller queues, instead of queueing it; the recording handler runs after the controller's.
    controller.queue.add = (key: string) => { queued.push(key); };
    for (const i of allInformers(caches)) i.addHandler({ onUpdate: (_o, n) => delivered.add(n.metadata!.uid!), onAdd: (n, m) => { if (!m.initial) delivered.add(n.metadata!.uid!); } });
  });
  after(async () => {
    await controller.stop();
    await Promise.all(allInformers(caches).map((i) => i.stop()));
  });

  const rows: { name: string; event: KubeObject; want: string[] }[] = [
    { name: 'its Deployment: the owner', event: obj('apps/v1', 'Deployment', 'fwd', { labels: owned, ownerReferences: ownedBy('fwd') }), want: ['team/fwd'] },
    { name: 'its DaemonSet: the owner', event: obj('apps/v1', 'DaemonSet', 'fwd', { labels: owned, ownerReferences: ownedBy('fwd') }), want: ['team/fwd'] },
    { name: 'its StatefulSet: the owner', event: obj('apps/v1', 'StatefulSet', 'fwd', { labels: owned, ownerReferences: ownedBy('fwd') }), want: ['team/fwd'] },
    { name: 'its Service: the owner', event: obj('v1', 'Service', 'fwd', { labels: owned, ownerReferences: ownedBy('fwd') }), want: ['team/fwd'] },
    { name: 'its PodDisruptionBudget: the owner', event: obj('policy/v1', 'PodDisruptionBudget', 'fwd', { labels: owned, ownerReferences: ownedBy('fwd') }), want: ['team/fwd'] },
    { name: 'a Deployment with our label whose controller is not an Agent: nobody', event: obj('apps/v1', 'Deployment', 'x', { labels: owned, ownerReferences: ownedBy('x', 'Rollout', 'argoproj.io/v1alpha1') }), want: [] },
    { name: 'a retained claim without an owner: the Agent its annotation names', event: obj('v1', 'PersistentVolumeClaim', 'data-fwd', { labels: owned, annotations: { [agentNameAnnotation]: 'fwd' } }), want: ['team/fwd'] },
    { name: 'a pod: the Agent its label names', event: obj('v1', 'Pod', 'fwd-1', { labels: { ...owned, [agentLabel]: 'fwd' } }), want: ['team/fwd'] },
    { name: 'a ReplicaSet: the Agent its label names', event: obj('apps/v1', 'ReplicaSet', 'fwd-1', { labels: { ...owned, [agentLabel]: 'fwd' } }), want: ['team/fwd'] },
    { name: 'a ControllerRevision: the Agent its label names', event: obj('apps/v1', 'ControllerRevision', 'fwd-1', { labels: { ...owned, [agentLabel]: 'fwd' } }), want: ['team/fwd'] },
    { name: 'a referenced Secret: the Agents of its namespace that use it, not the namesake elsewhere', event: obj('v1', 'Secret', 'creds'), want: ['team/fwd'] },
    { name: 'a Secret nobody references: nobody', event: obj('v1', 'Secret', 'unrelated'), want: [] },
    { name: 'a ConfigMap layer, unlabelled: the Agent that renders it', event: obj('v1', 'ConfigMap', 'layers'), want: ['team/fwd'] },
    { name: 'our config ConfigMap: its owner (and no Agent references it by name)', event: obj('v1', 'ConfigMap', 'fwd-config-abc', { labels: owned, ownerReferences: ownedBy('fwd') }), want: ['team/fwd'] },
    { name: 'an EndpointSlice of a Service depended on: the dependent', event: obj('discovery.k8s.io/v1', 'EndpointSlice', 'api-x1', { labels: { 'kubernetes.io/service-name': 'api' } }), want: ['team/fwd'] },
    { name: 'an Agent depended on turning Ready: its dependents in its namespace, not itself (a status write)', event: { ...ready(db, 'True'), metadata: { ...db.metadata, resourceVersion: '2' } } as KubeObject, want: ['team/fwd'] },
    { name: 'an Agent depended on writing a status that keeps its readiness: nobody', event: { ...ready(db, 'True'), metadata: { ...db.metadata, resourceVersion: '3' }, status: { ...ready(db, 'True').status, phase: 'Running' } } as KubeObject, want: [] },
    { name: 'an Agent\'s spec changed: itself', event: { ...fwd, metadata: { ...fwd.metadata, resourceVersion: '2', generation: 2 } } as KubeObject, want: ['team/fwd'] },
  ];
  for (const row of rows) {
    it(`${row.name}`, async () => {
      queued = [];
      const uid = row.event.metadata!.uid!;
      delivered.delete(uid);
      assert.ok(server.modified(row.event) > 0, 'some watch sees the object');
      for (let n = 0; n < 200 && !delivered.has(uid); n++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(delivered.has(uid), 'the event reached the informers');
      assert.deepEqual([...new Set(queued)].sort(), row.want);
    });
  }
});

describe('podFailureSeen: which pod changes are queued urgent', () => {
  const pod = (status: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, status });
  const running = { name: 'agent', restartCount: 0, ready: true, state: { running: { startedAt: 't0' } } };
  const oomKilled = {
    name: 'agent', restartCount: 1, ready: true, state: { running: { startedAt: 't1' } },
    lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, containerID: 'c1', finishedAt: 't1' } },
  };

  it('a container restarted after a death (what the kubelet writes for an OOM kill) is urgent', () => {
    assert.equal(podFailureSeen(pod({ containerStatuses: [running] }), pod({ containerStatuses: [oomKilled] })), true);
  });

  it('a container that ended, a failed pod, a failed init container are urgent', () => {
    assert.equal(podFailureSeen(pod({ containerStatuses: [running] }), pod({ containerStatuses: [{ name: 'agent', restartCount: 0, state: { terminated: { exitCode: 1 } } }] })), true);
    assert.equal(podFailureSeen(pod({ phase: 'Running' }), pod({ phase: 'Failed', reason: 'Evicted' })), true);
    assert.equal(podFailureSeen(pod({ initContainerStatuses: [{ name: 'init', restartCount: 0 }] }), pod({ initContainerStatuses: [{ name: 'init', restartCount: 1 }] })), true);
  });

  it('a pod starting, turning ready, or written again with the same death is not', () => {
    assert.equal(podFailureSeen(undefined, pod({ phase: 'Pending' })), false);
    assert.equal(podFailureSeen(pod({ containerStatuses: [{ ...running, ready: false }] }), pod({ containerStatuses: [running] })), false);
    assert.equal(podFailureSeen(pod({ containerStatuses: [oomKilled] }), pod({ containerStatuses: [{ ...oomKilled, ready: false }] })), false);
    assert.equal(podFailureSeen(pod({ phase: 'Failed' }), pod({ phase: 'Failed' })), false);
  });
});

describe('podFailingNow: which pods of the first list put their Agent ahead of the rest', () => {
  const pod = (status: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, status });
  const c = (state: object, restartCount = 0) => ({ name: 'agent', restartCount, state });
  const table: { name: string; status: object; want: boolean }[] = [
    { name: 'crash-looping', status: { phase: 'Running', containerStatuses: [c({ waiting: { reason: 'CrashLoopBackOff' } }, 3)] }, want: true },
    { name: 'an image that cannot be pulled', status: { phase: 'Pending', containerStatuses: [c({ waiting: { reason: 'ImagePullBackOff' } })] }, want: true },
    { name: 'a container that ended', status: { phase: 'Running', containerStatuses: [c({ terminated: { exitCode: 1 } }, 1)] }, want: true },
    { name: 'a failed pod', status: { phase: 'Failed' }, want: true },
    { name: 'an init container that failed', status: { phase: 'Pending', initContainerStatuses: [c({ terminated: { exitCode: 2 } })] }, want: true },
    { name: 'running, restarted once long ago', status: { phase: 'Running', containerStatuses: [c({ running: {} }, 4)] }, want: false },
    { name: 'starting', status: { phase: 'Pending', containerStatuses: [c({ waiting: { reason: 'ContainerCreating' } })] }, want: false },
    { name: 'an init container that completed, the agent starting', status: { phase: 'Pending', initContainerStatuses: [c({ terminated: { exitCode: 0, reason: 'Completed' } })], containerStatuses: [c({ waiting: { reason: 'PodInitializing' } })] }, want: false },
    { name: 'no status yet', status: {}, want: false },
  ];
  for (const row of table) it(row.name, () => assert.equal(podFailingNow(pod(row.status)), row.want));
});

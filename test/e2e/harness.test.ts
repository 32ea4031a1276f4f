// The e2e harness itself: workloads run on kwok's fake nodes, and a pod made to
// fail shows exactly the status a kubelet writes, so operator tests can trust
// what they observe. Faults need hack/kwok/stages.yaml: on another cluster
// (kind) those tests are skipped with that reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { useCluster, type Cluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { eventually } from '../support/wait.ts';
import { clearFault, containerStatus, faultInjector, injectFault, podReady } from '../support/faults.ts';
import { auditUnavailable, auditWrites, countWrites } from '../support/audit.ts';

const cluster = useCluster();
const IMAGE = 'registry.k8s.io/pause:3.10';

const noFaults = (c: Cluster) => (c.clusterDir ? false : `fault stages exist only on the local control plane (cluster from ${c.source})`);

function deployment(name: string, replicas: number): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: IMAGE }] } },
    },
  };
}

function pod(name: string, containers = ['app']): V1Pod {
  return {
    metadata: { name, labels: { app: name } },
    spec: { containers: containers.map((c) => ({ name: c, image: IMAGE })) },
  };
}

async function readyPod(ns: string, name: string, containers?: string[]): Promise<V1Pod> {
  await cluster().core.createNamespacedPod({ namespace: ns, body: pod(name, containers) });
  return eventually(async () => {
    const p = await cluster().core.readNamespacedPod({ name, namespace: ns });
    assert.equal(podReady(p), 'True');
    return p;
  }, { message: `pod ${ns}/${name} Ready` });
}

const read = (ns: string, name: string) => cluster().core.readNamespacedPod({ name, namespace: ns });

test('a Deployment becomes Available with Ready pods on kwok nodes', async (t) => {
  const ns = await testNamespace(cluster(), t);
  await cluster().apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 3) });

  const d = await eventually(async () => {
    const d = await cluster().apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    assert.equal(d.status?.availableReplicas, 3);
    assert.equal(d.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
    return d;
  }, { message: 'Deployment web Available with 3 replicas' });
  assert.equal(d.status?.readyReplicas, 3);

  const pods = await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
  assert.equal(pods.items.length, 3);
  const nodes = await cluster().core.listNode();
  const kwokNodes = new Set(nodes.items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake').map((n) => n.metadata?.name));
  for (const p of pods.items) {
    assert.equal(p.status?.phase, 'Running');
    assert.equal(podReady(p), 'True');
    assert.ok(p.status?.podIP, 'pod has an IP');
    const cs = containerStatus(p);
    assert.ok(cs?.state?.running?.startedAt, 'container running');
    assert.equal(cs?.ready, true);
    if (cluster().clusterDir) assert.ok(kwokNodes.has(p.spec?.nodeName), `pod ${p.metadata?.name} runs on a kwok node, not ${p.spec?.nodeName}`);
  }
});

test('a pod made to OOM shows the status a kubelet writes, again and again, until the fault is cleared', async (t) => {
  const skip = noFaults(cluster());
  if (skip) return t.skip(skip);
  const ns = await testNamespace(cluster(), t);
  const before = await readyPod(ns, 'hungry');
  const firstStart = containerStatus(before)?.state?.running?.startedAt;
  assert.ok(firstStart);

  await injectFault(cluster().core, ns, 'hungry', 'OOMKilled', { delay: '1s', backoff: '3s' });

  // First OOM: a kubelet restarts at once (no back-off yet).
  const afterOom = await eventually(async () => {
    const cs = containerStatus(await read(ns, 'hungry'));
    assert.ok((cs?.restartCount ?? 0) >= 1, `restartCount ${cs?.restartCount}`);
    return cs!;
  }, { message: 'container OOMKilled once' });
  const last = afterOom.lastState?.terminated;
  assert.equal(last?.reason, 'OOMKilled');
  assert.equal(last?.exitCode, 137);
  assert.ok(last?.startedAt && last.finishedAt, 'lastState.terminated has startedAt and finishedAt');
  assert.ok(new Date(last.finishedAt) >= new Date(last.startedAt));
  assert.ok(afterOom.state?.running || afterOom.state?.waiting?.reason === 'CrashLoopBackOff', JSON.stringify(afterOom.state));

  // It repeats on its own: the next OOM leaves it backing off, then it restarts again.
  const backingOff = await eventually(async () => {
    const p = await read(ns, 'hungry');
    const cs = containerStatus(p);
    assert.equal(cs?.state?.waiting?.reason, 'CrashLoopBackOff');
    return p;
  }, { message: 'CrashLoopBackOff after a repeated OOM' });
  const cs = containerStatus(backingOff)!;
  assert.match(cs.state?.waiting?.message ?? '', /^back-off 3s restarting failed container=app pod=hungry_/);
  assert.equal(cs.ready, false);
  assert.equal(cs.lastState?.terminated?.reason, 'OOMKilled');
  assert.equal(podReady(backingOff), 'False');
  await eventually(async () => assert.ok((containerStatus(await read(ns, 'hungry'))?.restartCount ?? 0) >= 2), {
    message: 'restarted after the back-off',
  });

  await clearFault(cluster().core, ns, 'hungry');
  const healed = await eventually(async () => {
    const p = await read(ns, 'hungry');
    assert.equal(podReady(p), 'True');
    return p;
  }, { message: 'Ready again after clearing the fault' });
  const h = containerStatus(healed)!;
  assert.ok(h.state?.running);
  assert.ok(h.restartCount >= 2, 'restartCount is kept');
  assert.equal(h.lastState?.terminated?.reason, 'OOMKilled', 'lastState is kept');
});

test('a crash-looping pod shows CrashLoopBackOff with the last exit code', async (t) => {
  const skip = noFaults(cluster());
  if (skip) return t.skip(skip);
  const ns = await testNamespace(cluster(), t);
  await readyPod(ns, 'crashy');
  await injectFault(cluster().core, ns, 'crashy', 'CrashLoopBackOff', { exitCode: 3, delay: 300, backoff: '60s' });

  const p = await eventually(async () => {
    const p = await read(ns, 'crashy');
    assert.equal(containerStatus(p)?.state?.waiting?.reason, 'CrashLoopBackOff');
    return p;
  }, { message: 'waiting in CrashLoopBackOff' });
  const cs = containerStatus(p)!;
  assert.match(cs.state?.waiting?.message ?? '', /^back-off 60s restarting failed container=app pod=crashy_/);
  assert.equal(cs.lastState?.terminated?.exitCode, 3);
  assert.equal(cs.lastState?.terminated?.reason, 'Error');
  assert.ok(cs.restartCount >= 1);
  assert.equal(cs.ready, false);
  assert.equal(cs.started, false);
  assert.equal(p.status?.phase, 'Running', 'restartPolicy Always keeps the pod Running');
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'ContainersNotReady');

  await clearFault(cluster().core, ns, 'crashy');
  await eventually(async () => assert.equal(podReady(await read(ns, 'crashy')), 'True'), { message: 'Ready after clearing' });
});

test('NotReady fails readiness only: the container keeps running, the pod turns not Ready, and clearing it makes it Ready', async (t) => {
  const skip = noFaults(cluster());
  if (skip) return t.skip(skip);
  const ns = await testNamespace(cluster(), t);
  await readyPod(ns, 'shy');
  await injectFault(cluster().core, ns, 'shy', 'NotReady', { delay: 200 });

  const p = await eventually(async () => {
    const p = await read(ns, 'shy');
    assert.equal(podReady(p), 'False');
    return p;
  }, { message: 'Ready condition False' });
  const cs = containerStatus(p)!;
  assert.ok(cs.state?.running, 'still running');
  assert.equal(cs.ready, false);
  assert.equal(cs.restartCount, 0, 'no restart');
  assert.equal(p.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status, 'False');

  await clearFault(cluster().core, ns, 'shy');
  await eventually(async () => {
    const p = await read(ns, 'shy');
    assert.equal(podReady(p), 'True');
    assert.equal(containerStatus(p)?.ready, true);
  }, { message: 'Ready again' });
});

test('a fault aimed at one container leaves the other containers running and ready', async (t) => {
  const skip = noFaults(cluster());
  if (skip) return t.skip(skip);
  const ns = await testNamespace(cluster(), t);
  await readyPod(ns, 'pair', ['app', 'sidecar']);
  await injectFault(cluster().core, ns, 'pair', 'OOMKilled', { container: 'sidecar', delay: 300 });

  const p = await eventually(async () => {
    const p = await read(ns, 'pair');
    assert.ok((containerStatus(p, 'sidecar')?.restartCount ?? 0) >= 1);
    return p;
  }, { message: 'sidecar OOMKilled' });
  assert.equal(containerStatus(p, 'sidecar')?.lastState?.terminated?.reason, 'OOMKilled');
  const app = containerStatus(p, 'app');
  assert.equal(app?.restartCount, 0);
  assert.equal(app?.ready, true);
  assert.ok(app?.state?.running);
});

test('a fault injector keeps failing the new pods of a Deployment until it is stopped', async (t) => {
  const skip = noFaults(cluster());
  if (skip) return t.skip(skip);
  const ns = await testNamespace(cluster(), t);
  await cluster().apps.createNamespacedDeployment({ namespace: ns, body: deployment('flaky', 2) });
  const injector = faultInjector(cluster().core, ns, 'app=flaky', 'CrashLoopBackOff', { delay: 200, backoff: '30s' });
  t.after(() => injector.stop());

  const crashing = (p: V1Pod) => containerStatus(p)?.state?.waiting?.reason === 'CrashLoopBackOff';
  const first = await eventually(async () => {
    const pods = (await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: 'app=flaky' })).items;
    assert.equal(pods.filter(crashing).length, 2, 'both pods crash-looping');
    return pods;
  }, { message: 'both replicas crash-looping' });

  // A replacement pod (as after the operator deletes a failing one) fails too.
  const victim = first[0]!.metadata!.name!;
  await cluster().core.deleteNamespacedPod({ name: victim, namespace: ns });
  await eventually(async () => {
    const pods = (await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: 'app=flaky' })).items;
    const fresh = pods.filter((p) => !first.some((f) => f.metadata?.uid === p.metadata?.uid));
    assert.equal(fresh.length, 1, 'a replacement pod exists');
    assert.ok(crashing(fresh[0]!), 'the replacement crash-loops too');
  }, { message: 'replacement pod crash-looping' });

  await injector.stop();
  await eventually(async () => {
    const d = await cluster().apps.readNamespacedDeployment({ name: 'flaky', namespace: ns });
    assert.equal(d.status?.readyReplicas, 2);
  }, { message: 'both replicas Ready after stop()' });
});

test('the audit log counts the writes a client made, by user agent and user', async (t) => {
  const reason = auditUnavailable(cluster());
  if (reason) return t.skip(reason);
  const ns = await testNamespace(cluster(), t);
  const since = new Date();
  for (const args of [
    ['create', 'configmap', 'counted', '-n', ns, '--from-literal=a=1'],
    ['label', 'configmap', 'counted', '-n', ns, 'x=y'],
    ['get', 'configmap', 'counted', '-n', ns],
  ]) {
    const r = await cluster().kubectl(args);
    assert.equal(r.code, 0, r.stderr);
  }
  // kubectl create + kubectl label (a patch); the get is a read and not recorded.
  await eventually(async () => assert.equal(await countWrites(cluster(), { userAgent: 'kubectl/', namespace: ns, since }), 2), {
    message: 'two kubectl writes in the audit log',
  });
  const writes = (await auditWrites(cluster(), { userAgent: 'kubectl/', namespace: ns, since }))!;
  assert.deepEqual(writes.map((w) => w.verb), ['create', 'patch']);
  assert.equal(writes[0]?.user.username, 'admin');
  assert.equal(await countWrites(cluster(), { username: 'nobody', since }), 0);
});

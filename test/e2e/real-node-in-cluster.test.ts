// The operator as users run it: its own image (assembled without Docker by
// hack/build-images, the same image the Dockerfile describes) installed with
// `helm install` onto the real node, in a namespace enforcing Pod Security
// "restricted". The pods use in-cluster config and their ServiceAccount token
// (through kube-proxy's route to the kubernetes Service), pass their own
// liveness/readiness probes, elect a leader, and reconcile an Agent. Then the
// leader's container is really killed (SIGKILL through containerd): the
// kubelet restarts it, one leader goes on (the restarted process under the
// pod's identity, or the standby at the Lease's expiry) and reconciles the
// next change.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD } from '../support/operator.ts';
import { apply, getAgent, patchAgentSpec, waitReady } from '../support/agents.ts';
import { adoptCRD, helm, helmOk, releaseName } from '../support/helm.ts';
import { eventually } from '../support/wait.ts';
import { realNodeImages, requireRealNode } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
let system: string;
let watched: string;
const release = releaseName();

async function operatorPods() {
  const pods = await cluster().core.listNamespacedPod({ namespace: system, labelSelector: `app.kubernetes.io/instance=${release}` });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function leaseHolder(): Promise<string | undefined> {
  const leases = await cluster().kubectl(['get', 'lease', '-n', system, '-o', 'jsonpath={.items[*].spec.holderIdentity}']);
  return leases.stdout.trim() || undefined;
}

describe('the operator installed with helm on the real node', () => {
  before(async () => {
    await installCRD(cluster());
    system = await testNamespace(cluster(), 'ao-system');
    await cluster().kubectl(['label', 'namespace', system, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
    watched = await testNamespace(cluster(), 'in-cluster');
  });

  it('runs in-cluster under Pod Security restricted, passes its probes and reconciles an Agent', { timeout: 300_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const image = realNodeImages(cluster()).operator;
    const [repository, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
    await adoptCRD(cluster(), release, system);
    cluster().onTeardown(() => helm(cluster(), ['uninstall', release, '-n', system, '--ignore-not-found']));
    await helmOk(cluster(), ['install', release, join(import.meta.dirname, '../../charts/agent-operator'), '-n', system,
      '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--set', 'image.pullPolicy=Never',
      '--set', 'replicaCount=2', '--set', `watchNamespaces={${watched}}`,
      '--set', 'nodeSelector.kubernetes\\.io/hostname=real-node',
      '--set', 'tolerations[0].key=agent-operator.dev/real-node', '--set', 'tolerations[0].operator=Exists', '--set', 'tolerations[0].effect=NoSchedule',
    ], 180_000); // the chart's spread over nodes is soft: both replicas fit on the one real node

    await eventually(async () => {
      const pods = await operatorPods();
      assert.equal(pods.length, 2);
      for (const p of pods) assert.ok(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${p.metadata?.name} Ready (its /readyz probe passes)`);
    }, { timeoutMs: 180_000, message: 'both operator pods Ready on the real node' });
    const holder = await eventually(leaseHolder, { timeoutMs: 60_000, message: 'a leader holds the Lease' });
    assert.ok((await operatorPods()).some((p) => p.metadata?.name === holder), `the leader ${holder} is one of the pods`);

    await apply(cluster(), watched, { yaml: 'apiVersion: agent-operator.dev/v1alpha1\nkind: Agent\nmetadata: { name: fleet }\nspec: { image: registry.example/agent:1.0 }\n' });
    const agent = await waitReady(cluster(), watched, 'fleet', 120_000);
    assert.equal(agent.status?.observedGeneration, 1);
  });

  it('after a SIGKILL of the leader\'s container the kubelet restarts it, one leader goes on and reconciles the next change', { timeout: 240_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const holder = await leaseHolder();
    const leader = (await operatorPods()).find((p) => p.metadata?.name === holder);
    assert.ok(leader, `the leader pod ${holder}`);
    const containerID = leader.status!.containerStatuses![0]!.containerID!.replace(/^containerd:\/\//, '');
    const socket = join(cluster().clusterDir!, 'real-node/containerd/containerd.sock');
    execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'tasks', 'kill', '--signal', 'SIGKILL', containerID]);
    const killedAt = Date.now();

    // The kubelet restarts a container's first crash at once; the new process
    // has the pod's identity, finds the Lease still its own and renews it, or
    // the standby takes it at expiry. Either way exactly one leader goes on.
    const next = await eventually(async () => {
      const restarted = (await operatorPods()).find((p) => p.metadata?.uid === leader.metadata?.uid);
      assert.ok((restarted?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'the kubelet restarted the killed container');
      const h = await leaseHolder();
      assert.ok(h, 'a leader holds the Lease');
      return h;
    }, { timeoutMs: 60_000, message: 'the killed container restarted and a leader holding the Lease' });
    t.diagnostic(`after the kill the Lease is held by ${next === holder ? 'the restarted leader' : `the standby ${next}`}, ${Math.round((Date.now() - killedAt) / 1000)} s later`);

    await patchAgentSpec(cluster(), watched, 'fleet', { image: 'registry.example/agent:1.1' });
    await eventually(async () => {
      const a = await getAgent(cluster(), watched, 'fleet');
      assert.equal(a.status?.observedGeneration, 2);
      assert.equal(a.status?.image, 'registry.example/agent:1.1');
    }, { timeoutMs: 90_000, message: 'the new leader reconciled generation 2' });
    await eventually(async () => {
      const pods = await operatorPods();
      assert.equal(pods.length, 2);
      for (const p of pods) assert.ok(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${p.metadata?.name} Ready again`);
    }, { timeoutMs: 120_000, message: 'both operator pods Ready after the kill' });
  });
});

// What an agent process really gets from an Agent, on the real node (a real
// kubelet, containerd and runc): the Secret-sourced value in its environment
// (compared by digest: the value never leaves the test and the process), the
// config layers merged into the file it reads, a state file on a volume that
// survives its pod, and default TCP probes that pass on a real listener.
// Rotating the Secret's key rolls the pods, and the new process sees the new
// value. The test agent reports all of this on GET /info
// (hack/tools/images/agent).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator, type RunningOperator } from '../support/operator.ts';
import { apply, getAgent, waitReady } from '../support/agents.ts';
import { eventually } from '../support/wait.ts';
import { agentInfo, onRealNode, readyPods, realNodeImages, realNodeStorageClass, requireRealNode, sha256 } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
const name = 'forwarder';
const tokens = { first: 'first-token-value-7d1c', second: 'rotated-token-value-93ab' };
let ns: string;
let op: RunningOperator | undefined;

function manifest(image: string, token: string): string {
  return `
apiVersion: v1
kind: Secret
metadata: { name: forwarder-credentials }
stringData: { token: ${token} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: forwarder-base }
data:
  base.yaml: |
    service: { flush: 5, log_level: info }
    output: { host: logs.internal, port: 24224 }
---
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: ${name} }
spec:
  image: ${image}
  ports: [{ name: http, containerPort: 8080 }]
  env:
    - { name: SECRET_ENV, value: AGENT_TOKEN }
    - name: AGENT_TOKEN
      valueFrom: { secretKeyRef: { name: forwarder-credentials, key: token } }
  config:
    layers:
      - configMap: { name: forwarder-base, key: base.yaml }
      - inline: { service: { log_level: debug } }
  storage: { size: 1Gi, storageClassName: ${realNodeStorageClass} }
  podTemplate: ${JSON.stringify(onRealNode)}
`;
}

describe('an agent process on the real node', () => {
  let image: string;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'real-node-agent');
    op = await startOperator(cluster(), { namespaces: [ns] });
    try { image = realNodeImages(cluster()).agent; } catch { /* no real node: each test skips */ }
  });

  it('becomes Ready with the default TCP probes passing on its real listener', { timeout: 180_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    await apply(cluster(), ns, { yaml: manifest(image, tokens.first) });
    const agent = await waitReady(cluster(), ns, name, 120_000);
    const [pod] = await readyPods(cluster(), ns, name);
    assert.ok(pod, 'a Ready pod');
    assert.equal(pod.spec?.nodeName, 'real-node');
    const probes = pod.spec?.containers[0]?.readinessProbe;
    assert.equal(probes?.tcpSocket?.port, 8080, 'the default readiness probe is TCP on the first port');
    assert.equal(agent.status?.readyReplicas, 1);
  });

  it('sees the Secret-sourced value in its environment, by digest', { timeout: 60_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const [pod] = await readyPods(cluster(), ns, name);
    const info = await agentInfo(cluster(), ns, pod!.metadata!.name!);
    assert.deepEqual(info.secret, { env: 'AGENT_TOKEN', set: true, sha256: sha256(tokens.first) });
  });

  it('reads one config file with the layers merged in order (inline over the ConfigMap layer)', { timeout: 60_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const [pod] = await readyPods(cluster(), ns, name);
    const info = await agentInfo(cluster(), ns, pod!.metadata!.name!);
    assert.equal(info.config.error, undefined, `config read: ${info.config.error}`);
    assert.equal(info.config.values['service.log_level'], 'debug', 'the inline layer wins');
    assert.equal(info.config.values['service.flush'], '5', 'the base layer stays where not overridden');
    assert.equal(info.config.values['output.host'], 'logs.internal');
  });

  it('writes its state file as the default non-root user, and the file survives the pod', { timeout: 180_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const [pod] = await readyPods(cluster(), ns, name);
    const before = await agentInfo(cluster(), ns, pod!.metadata!.name!);
    assert.equal(before.stateError, undefined, `the agent could not write its state: ${before.stateError}`);
    assert.notEqual(before.uid, 0, 'runs as non-root');
    assert.ok(before.starts >= 1);
    await cluster().core.deleteNamespacedPod({ namespace: ns, name: pod!.metadata!.name! });
    const after = await eventually(async () => {
      const [next] = await readyPods(cluster(), ns, name);
      assert.ok(next && next.metadata?.uid !== pod!.metadata?.uid, 'a new pod is Ready');
      return agentInfo(cluster(), ns, next.metadata!.name!);
    }, { timeoutMs: 120_000, message: 'the replacement pod answering /info' });
    assert.equal(after.starts, before.starts + 1, 'the new process found the old starts on the volume');
  });

  it('rotating the Secret key rolls the pods once, and the new process sees the new value', { timeout: 240_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const revision = (await getAgent(cluster(), ns, name)).status?.revision;
    await apply(cluster(), ns, { yaml: manifest(image, tokens.second) });
    await eventually(async () => {
      const agent = await getAgent(cluster(), ns, name);
      assert.notEqual(agent.status?.revision, revision, 'a new revision');
      const pods = await readyPods(cluster(), ns, name);
      assert.equal(pods.length, 1);
      const info = await agentInfo(cluster(), ns, pods[0]!.metadata!.name!);
      assert.equal(info.secret?.sha256, sha256(tokens.second));
      assert.ok(agent.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, { timeoutMs: 180_000, message: 'the rotated value in a Ready pod' });
    const replicaSets = await cluster().apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${name}` });
    assert.equal(replicaSets.items.length, 2, 'exactly one roll: two ReplicaSets in all');
  });

  it('never shows the Secret value in the Agent, its events or the operator log', { timeout: 30_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    const agent = JSON.stringify(await getAgent(cluster(), ns, name));
    const events = JSON.stringify(await cluster().core.listNamespacedEvent({ namespace: ns }));
    const logs = JSON.stringify(op!.logs());
    for (const token of Object.values(tokens)) {
      for (const [where, text] of Object.entries({ agent, events, logs })) assert.ok(!text.includes(token), `the token appears in the ${where}`);
    }
  });
});

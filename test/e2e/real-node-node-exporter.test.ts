// A real third-party agent, reconciled from an Agent like any user's: Debian's
// prometheus-node-exporter, packed into an image (hack/build-images), runs on
// the real node under the operator's secure defaults (non-root, read-only
// root filesystem, no capabilities), becomes Ready with the default TCP
// probes, and serves its metrics. Then the same as a node agent (issue 11): a
// DaemonSet-mode Agent reading the node's /proc and /sys through read-only
// hostPath mounts, which the operator allows only because its administrator
// granted those paths (--node-agent-host-paths).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { apply, condition, waitForCondition, waitReady } from '../support/agents.ts';
import { onRealNode, readyPods, realNodeImages, requireRealNode } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
let ns: string;


describe('node_exporter as an Agent on the real node', () => {
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'real-node-exporter');
    await startOperator(cluster(), { namespaces: [ns], env: { NODE_AGENT_HOST_PATHS: '/proc,/sys' } });
  });

  it('reaches Ready with the default probes and serves its metrics', { timeout: 180_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    await apply(cluster(), ns, { yaml: `
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: node-exporter }
spec:
  image: ${realNodeImages(cluster()).nodeExporter}
  args: ["--web.listen-address=:9100", "--no-collector.systemd"]
  ports: [{ name: metrics, containerPort: 9100 }]
  podTemplate: ${JSON.stringify(onRealNode)}
` });
    const agent = await waitReady(cluster(), ns, 'node-exporter', 120_000);
    assert.equal(agent.status?.readyReplicas, 1);
    const [pod] = await readyPods(cluster(), ns, 'node-exporter');
    const container = pod!.spec!.containers[0]!;
    assert.equal(container.readinessProbe?.tcpSocket?.port, 9100, 'the default readiness probe: TCP on the first port');
    assert.equal(container.livenessProbe?.tcpSocket?.port, 9100);
    const metrics = await (await fetch(`http://${pod!.status!.podIP}:9100/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    assert.match(metrics, /^node_exporter_build_info\{/m);
    assert.match(metrics, /^node_cpu_seconds_total\{/m, 'it reads the node it runs on');
  });

  it('runs as a DaemonSet node agent reading the node\'s /proc and /sys read-only, by the administrator\'s grant', { timeout: 180_000 }, async (t) => {
    if (!(await requireRealNode(t, cluster()))) return;
    await apply(cluster(), ns, { yaml: `
apiVersion: agent-operator.dev/v1alpha1
kind: Agent
metadata: { name: node-agent }
spec:
  mode: DaemonSet
  image: ${realNodeImages(cluster()).nodeExporter}
  args: ["--web.listen-address=:9101", "--no-collector.systemd", "--path.procfs=/host/proc", "--path.sysfs=/host/sys"]
  ports: [{ name: metrics, containerPort: 9101 }]
  env:
    - { name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
    - { name: HOST_IP, valueFrom: { fieldRef: { fieldPath: status.hostIP } } }
  podTemplate:
    nodeSelector: ${JSON.stringify(onRealNode.nodeSelector)}
    tolerations: ${JSON.stringify(onRealNode.tolerations)}
    volumes:
      - { name: proc, hostPath: { path: /proc } }
      - { name: sys, hostPath: { path: /sys } }
    volumeMounts:
      - { name: proc, mountPath: /host/proc, readOnly: true }
      - { name: sys, mountPath: /host/sys, readOnly: true }
` });
    const agent = await waitReady(cluster(), ns, 'node-agent', 120_000);
    assert.equal(agent.status?.desiredReplicas, 1, 'one node admits it: the real node');
    assert.equal(agent.status?.readyText, '1/1');
    const [pod] = await readyPods(cluster(), ns, 'node-agent');
    assert.equal(pod!.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
    const metrics = await (await fetch(`http://${pod!.status!.podIP}:9101/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    assert.match(metrics, /^node_cpu_seconds_total\{/m, 'it reads the node\'s /proc');
    assert.match(metrics, /^node_filesystem_size_bytes\{/m);
    // The same mount writable is outside the grant: refused, and the message names the grant.
    const writable = { spec: { podTemplate: { volumeMounts: [{ name: 'proc', mountPath: '/host/proc' }, { name: 'sys', mountPath: '/host/sys', readOnly: true }] } } };
    const res = await cluster().kubectl(['patch', 'agent', 'node-agent', '-n', ns, '--type=merge', '-p', JSON.stringify(writable)]);
    assert.equal(res.code, 0, res.stderr);
    const refused = await waitForCondition(cluster(), ns, 'node-agent', 'Ready', 'False', { reason: 'PodSecurityViolation' });
    assert.match(condition(refused, 'Ready')?.message ?? '', /hostPath is \/proc.*--node-agent-host-paths/);
  });
});

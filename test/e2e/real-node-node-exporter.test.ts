// A real third-party agent, reconciled from an Agent like any user's: Debian's
// prometheus-node-exporter, packed into an image (hack/build-images), runs on
// the real node under the operator's secure defaults (non-root, read-only
// root filesystem, no capabilities), becomes Ready with the default TCP
// probes, and serves its metrics.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { apply, waitReady } from '../support/agents.ts';
import { onRealNode, readyPods, realNodeImages, requireRealNode } from '../support/real-node.ts';

const cluster = useCluster({ realNode: true });
let ns: string;

describe('node_exporter as an Agent on the real node', () => {
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'real-node-exporter');
    await startOperator(cluster(), { namespaces: [ns] });
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
});

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { desiredObjects, type DesiredInputs } from '../../fixtures/desired.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

/**
 * Golden files: the complete desired objects of representative Agents, as a
 * reviewer reads them. A change to any builder shows up here as a readable
 * diff. Regenerate with `UPDATE_GOLDEN=1 node --test test/unit/desired/golden.test.ts`
 * and review the diff like code.
 */
const update = process.env.UPDATE_GOLDEN === '1';
const goldenDir = new URL('./golden/', import.meta.url);

const cases: { name: string; about: string; agent: AgentBuilder; inputs: DesiredInputs }[] = [
  {
    name: 'log-forwarder',
    about: 'Secret token env, layered config (ConfigMap + inline), RWO storage (Recreate), one port with an HTTP health check',
    agent: agent('log-forwarder')
      .namespace('observability')
      .image('fluent/fluent-bit:3.2')
      .args('--config', '/etc/agent/fluent-bit.yaml')
      .port('http', 2020)
      .liveness({ httpGet: { path: '/api/v1/health', port: 'http' } })
      .readiness({ httpGet: { path: '/api/v1/health', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2 })
      .secretEnv('LOKI_TOKEN', 'loki-credentials', 'token')
      .fieldEnv('NODE_NAME', 'spec.nodeName')
      .configMapLayer('fluent-bit-base', 'fluent-bit.yaml')
      .inlineConfig({ service: { log_level: 'info' }, pipeline: { outputs: [{ name: 'loki', host: 'loki.observability.svc', tls: 'on' }] } })
      .config({ fileName: 'fluent-bit.yaml' })
      .storage('2Gi')
      .resources({ limits: { memory: '512Mi' } }),
    inputs: {
      referenceDigests: {
        'Secret/loki-credentials/token': 'sha256:0f1e2d3c',
        'ConfigMap/fluent-bit-base/fluent-bit.yaml': 'sha256:a1b2c3d4',
        'Secret/unrelated/key': 'sha256:ignored',
      },
      configLayers: [
        'service:\n  flush: 1\n  log_level: warn\n  http_server: on\npipeline:\n  inputs:\n    - name: tail\n      path: /var/log/containers/*.log\n      db: /var/lib/agent/tail.db\n',
        undefined,
      ],
    },
  },
  {
    name: 'collector',
    about: 'three replicas with ports (Service, PDB), RollingUpdate, a ServiceAccount, spread over zones, held for its dependency',
    agent: agent('otel-collector')
      .namespace('observability')
      .image('otel/opentelemetry-collector:0.115.0')
      .replicas(3)
      .port('otlp-grpc', 4317)
      .port('otlp-http', 4318)
      .port('metrics', 8888)
      .dependsOnAgent('log-forwarder')
      .envFromConfigMap('collector-env', { prefix: 'OTEL_' })
      .podTemplate({
        serviceAccountName: 'otel-collector',
        labels: { team: 'observability' },
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8888' },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'agent-operator.dev/agent': 'otel-collector' } } }],
        securityContext: { container: { readOnlyRootFilesystem: true } },
      }),
    inputs: { referenceDigests: { 'ConfigMap/collector-env': 'sha256:5e6f7a8b' }, configLayers: [], holdForDependencies: true },
  },
  {
    name: 'minimal',
    about: 'image only: no ports, so no Service and no probes (ProbesMissing warning)',
    agent: agent('heartbeat').image('example.com/heartbeat:1.0'),
    inputs: { referenceDigests: {}, configLayers: [] },
  },
  {
    name: 'node-agent',
    about: 'DaemonSet mode: one pod per node, two nodes at a time, no lost-node tolerations of its own, no PDB, one port',
    agent: agent('node-metrics')
      .namespace('monitoring')
      .image('prom/node-exporter:v1.8.2')
      .mode('DaemonSet')
      .spec({ daemonSet: { updateStrategy: { maxUnavailable: 2 } } })
      .port('metrics', 9100)
      .podTemplate({ nodeSelector: { 'kubernetes.io/os': 'linux' } }),
    inputs: { referenceDigests: {}, configLayers: [] },
  },
  {
    name: 'wal-agent',
    about: 'StatefulSet mode: three replicas with a RWO volume each (volumeClaimTemplates, kept when the Agent is deleted), ordered start, lost node after 20 s',
    agent: agent('wal-shipper')
      .namespace('observability')
      .image('example.com/wal-shipper:2.1')
      .mode('StatefulSet')
      .replicas(3)
      .storage('5Gi')
      .spec({ failover: { nodeLostSeconds: 20 } })
      .port('http', 8080),
    inputs: { referenceDigests: {}, configLayers: [] },
  },
];

describe('golden desired objects', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.about}`, () => {
      const r = desiredObjects(c.agent.build(), c.inputs);
      assert.ok(r.ok, r.ok ? '' : r.message);
      const docs = [r.workload, r.service, r.configMap, r.pvc, r.pdb].filter((o) => o !== undefined);
      const text = [
        `# ${c.name}: ${c.about}\n# revision: ${r.revision}\n# warnings: ${r.warnings.map((w) => w.reason).join(', ') || 'none'}\n`,
        ...docs.map((d) => stringify(d, { lineWidth: 0 })),
      ].join('---\n');
      const file = new URL(`${c.name}.yaml`, goldenDir);
      if (update) writeFileSync(file, text);
      assert.ok(existsSync(file), `golden file ${file.pathname} is missing: run with UPDATE_GOLDEN=1`);
      assert.equal(text, readFileSync(file, 'utf8'), `golden ${c.name}.yaml differs: review, then regenerate with UPDATE_GOLDEN=1`);
    });
  }
});

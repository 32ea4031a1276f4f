import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1PodTemplateSpec } from '@kubernetes/client-node';
import { resolveSpec } from '../../../src/desired/defaults.ts';
import { ownerOf } from '../../../src/desired/meta.ts';
import { podTemplate, withMemoryOverride } from '../../../src/desired/pod-spec.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

function build(b: AgentBuilder, opts: { memoryLimitOverride?: string } = {}): V1PodTemplateSpec {
  const a = b.build();
  const r = podTemplate(ownerOf(a), resolveSpec(a.spec), { configMapName: 'pod-config-0123456789', ...opts });
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.template;
}
function container(t: V1PodTemplateSpec): V1Container {
  const c = t.spec?.containers[0];
  assert.ok(c);
  return c;
}
function refusal(b: AgentBuilder): string {
  const a = b.build();
  const r = podTemplate(ownerOf(a), resolveSpec(a.spec), { configMapName: 'pod-config-0123456789' });
  assert.equal(r.ok, false);
  return r.ok ? '' : r.message;
}

const base = agent('pod').image('example.com/agent:2');

describe('podTemplate', () => {
  it('keeps the tail of a failed container\'s log as its termination message unless the podTemplate says File', () => {
    assert.equal(container(build(base)).terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.equal(container(build(base.podTemplate({ terminationMessagePolicy: 'File' }))).terminationMessagePolicy, 'File');
  });

  it('runs one container named agent with the image, command, args and pull policy', () => {
    const c = container(build(base.command('/agent').args('--config', '/etc/agent/config.yaml').imagePullPolicy('IfNotPresent')));
    assert.equal(c.name, 'agent');
    assert.equal(c.image, 'example.com/agent:2');
    assert.deepEqual(c.command, ['/agent']);
    assert.deepEqual(c.args, ['--config', '/etc/agent/config.yaml']);
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
  });

  it('sends no empty lists or maps (the apiserver drops them and they would read as a difference forever)', () => {
    const t = build(base);
    const c = container(t);
    for (const field of ['ports', 'env', 'envFrom', 'volumeMounts', 'command', 'args', 'livenessProbe'] as const) assert.equal(c[field], undefined, field);
    for (const field of ['volumes', 'nodeSelector', 'affinity', 'serviceAccountName'] as const) assert.equal(t.spec?.[field], undefined, field);
    assert.equal(build(base.mode('DaemonSet')).spec?.tolerations, undefined, 'tolerations (DaemonSet mode adds none of its own)');
    assert.equal(t.metadata?.annotations, undefined);
  });

  it('keeps Secret env as a reference: the pod reads the Secret, the operator never copies the value', () => {
    const c = container(build(base.secretEnv('LOKI_TOKEN', 'loki', 'token').env('LEVEL', 'info').fieldEnv('NODE', 'spec.nodeName').envFromSecret('extra', { prefix: 'X_', optional: true })));
    assert.deepEqual(c.env, [
      { name: 'LOKI_TOKEN', valueFrom: { secretKeyRef: { name: 'loki', key: 'token' } } },
      { name: 'LEVEL', value: 'info' },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
    assert.deepEqual(c.envFrom, [{ prefix: 'X_', secretRef: { name: 'extra', optional: true } }]);
  });

  it('mounts the rendered config read-only and the state claim', () => {
    const t = build(base.inlineConfig({ a: 1 }).storage('1Gi'));
    assert.deepEqual(t.spec?.volumes, [
      { name: 'agent-config', configMap: { name: 'pod-config-0123456789' } },
      { name: 'agent-state', persistentVolumeClaim: { claimName: 'pod-state' } },
    ]);
    assert.deepEqual(container(t).volumeMounts, [
      { name: 'agent-config', mountPath: '/etc/agent', readOnly: true },
      { name: 'agent-state', mountPath: '/var/lib/agent' },
    ]);
  });

  it('adds podTemplate volumes and mounts after ours', () => {
    const t = build(base.storage('1Gi').podTemplate({ volumes: [{ name: 'certs', secret: { secretName: 'tls' } }], volumeMounts: [{ name: 'certs', mountPath: '/certs', readOnly: true }] }));
    assert.deepEqual(t.spec?.volumes?.map((v) => v.name), ['agent-state', 'certs']);
    assert.deepEqual(container(t).volumeMounts?.at(-1), { name: 'certs', mountPath: '/certs', readOnly: true });
  });

  const refusals: [string, AgentBuilder, RegExp][] = [
    ['a podTemplate volume named like ours', base.storage('1Gi').podTemplate({ volumes: [{ name: 'agent-state', emptyDir: {} }] }), /volume name agent-state in spec.podTemplate.volumes\[0\] is already used by spec.storage/],
    ['a mount on the config path', base.inlineConfig({ a: 1 }).podTemplate({ volumes: [{ name: 'x', emptyDir: {} }], volumeMounts: [{ name: 'x', mountPath: '/etc/agent/' }] }), /mount path \/etc\/agent\/ of spec.podTemplate.volumeMounts\[0\] is already used by spec.config.mountPath/],
    ['config and state on one path', base.inlineConfig({ a: 1 }).config({ mountPath: '/data' }).storage('1Gi', { mountPath: '/data' }), /mount path \/data of spec.storage.mountPath is already used by spec.config.mountPath/],
    ['a probe on an unknown port name', base.port('http', 80).liveness({ httpGet: { port: 'healthz' } }), /spec.health.liveness.httpGet.port "healthz" names no port/],
  ];
  for (const [title, b, message] of refusals) {
    it(`refuses ${title} in the user's terms`, () => assert.match(refusal(b), message));
  }

  it('has default TCP probes on the first port, named ports resolved', () => {
    const c = container(build(base.port('http', 8080).port('metrics', 9090)));
    assert.deepEqual(c.livenessProbe?.tcpSocket, { port: 8080 });
    assert.deepEqual(c.readinessProbe?.tcpSocket, { port: 8080 });
    assert.equal(c.startupProbe?.failureThreshold, 30);
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
  });

  it('is secure by default and takes overrides from podTemplate.securityContext', () => {
    const t = build(base);
    assert.deepEqual(t.spec?.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(container(t).securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const root = build(base.podTemplate({ securityContext: { pod: { runAsNonRoot: false } } }));
    assert.equal(root.spec?.securityContext?.runAsNonRoot, false);
  });

  it('mounts no ServiceAccount token unless a ServiceAccount is chosen', () => {
    assert.equal(build(base).spec?.automountServiceAccountToken, false);
    const withSa = build(base.podTemplate({ serviceAccountName: 'reader' })).spec;
    assert.equal(withSa?.serviceAccountName, 'reader');
    assert.equal(withSa?.automountServiceAccountToken, true);
  });

  it('turns service links off and sets a 30 s grace period', () => {
    const s = build(base).spec;
    assert.equal(s?.enableServiceLinks, false);
    assert.equal(s?.terminationGracePeriodSeconds, 30);
  });

  it('passes scheduling fields through', () => {
    const s = build(base.podTemplate({
      nodeSelector: { pool: 'agents' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      affinity: { nodeAffinity: {} },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
      priorityClassName: 'agents',
    })).spec;
    assert.deepEqual(s?.nodeSelector, { pool: 'agents' });
    assert.deepEqual(s?.tolerations?.[0], { key: 'dedicated', operator: 'Exists' });
    assert.deepEqual(s?.affinity, { nodeAffinity: {} });
    assert.deepEqual(s?.topologySpreadConstraints, [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }]);
    assert.equal(s?.priorityClassName, 'agents');
  });

  it('carries user pod labels and annotations, our labels winning', () => {
    const t = build(base.podTemplate({ labels: { team: 'obs', 'app.kubernetes.io/name': 'x' }, annotations: { 'prometheus.io/scrape': 'true' } }));
    assert.equal(t.metadata?.labels?.team, 'obs');
    assert.equal(t.metadata?.labels?.['app.kubernetes.io/name'], 'agent');
    assert.deepEqual(t.metadata?.annotations, { 'prometheus.io/scrape': 'true' });
  });

  it('replaces limits.memory with the OOM override, keeping requests below it', () => {
    assert.deepEqual(container(build(base, { memoryLimitOverride: '384Mi' })).resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '384Mi' },
    });
  });

  const overrides: [string, { requests: Record<string, string>; limits: Record<string, string> }, string, object][] = [
    ['raises only the limit when the request fits', { requests: { memory: '128Mi' }, limits: { memory: '256Mi' } }, '512Mi', { requests: { memory: '128Mi' }, limits: { memory: '512Mi' } }],
    ['lowers a request that would exceed the override', { requests: { memory: '1Gi' }, limits: { memory: '2Gi' } }, '512Mi', { requests: { memory: '512Mi' }, limits: { memory: '512Mi' } }],
    ['keeps other resources', { requests: { cpu: '1' }, limits: { cpu: '2', memory: '1Gi' } }, '2Gi', { requests: { cpu: '1' }, limits: { cpu: '2', memory: '2Gi' } }],
  ];
  for (const [title, resources, override, expected] of overrides) {
    it(`memory override ${title}`, () => assert.deepEqual(withMemoryOverride(resources, override), expected));
  }
});

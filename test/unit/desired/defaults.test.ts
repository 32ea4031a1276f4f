import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDefaults } from '../../../src/api/config.ts';
import { probeDefaults } from '../../../src/api/probes.ts';
import { recoveryDefaults } from '../../../src/api/recovery.ts';
import { resourceDefaults } from '../../../src/api/spec.ts';
import { storageDefaults } from '../../../src/api/storage.ts';
import { resolveSpec } from '../../../src/desired/defaults.ts';
import { agent } from '../../fixtures/agent.ts';

const minimal = agent('minimal');
const resolve = (b: typeof minimal) => resolveSpec(b.build().spec);

describe('resolveSpec', () => {
  it('fills replicas 1, Managed, the default resources and no Service for a minimal Agent', () => {
    const r = resolve(minimal);
    assert.equal(r.replicas, 1);
    assert.equal(r.managementState, 'Managed');
    assert.deepEqual(r.resources, { requests: { ...resourceDefaults.requests }, limits: { ...resourceDefaults.limits } });
    assert.deepEqual(r.service, { enabled: false, type: 'ClusterIP' });
    assert.deepEqual(r.health, { defaulted: false });
  });

  it('takes no DaemonSet pod down during an update that surges, one node at a time otherwise (Kubernetes refuses both at once)', () => {
    const ds = (updateStrategy: Record<string, number | string>) => resolve(minimal.mode('DaemonSet').spec({ daemonSet: { updateStrategy } })).daemonSet;
    assert.deepEqual(ds({}), { maxUnavailable: 1, maxSurge: 0 });
    assert.deepEqual(ds({ maxSurge: 1 }), { maxUnavailable: 0, maxSurge: 1 });
    assert.deepEqual(ds({ maxSurge: '10%' }), { maxUnavailable: 0, maxSurge: '10%' });
    assert.deepEqual(ds({ maxSurge: '0%' }), { maxUnavailable: 1, maxSurge: '0%' });
    assert.deepEqual(ds({ maxUnavailable: '20%' }), { maxUnavailable: '20%', maxSurge: 0 });
  });

  it('does not change the Agent it reads', () => {
    const a = minimal.port('http', 8080).inlineConfig({ a: 1 }).storage('1Gi').build();
    const before = structuredClone(a);
    const r = resolveSpec(a.spec);
    r.ports.push({ name: 'x', containerPort: 1, protocol: 'TCP' });
    r.config!.layers.push({ inline: {} });
    assert.deepEqual(a, before);
  });

  it('gives ports TCP liveness and readiness on the first port and a 30 x 5 s startup window', () => {
    const r = resolve(minimal.port('http', 8080).port('metrics', 9090));
    const timing = { periodSeconds: probeDefaults.periodSeconds, timeoutSeconds: probeDefaults.timeoutSeconds, failureThreshold: probeDefaults.failureThreshold, successThreshold: 1, initialDelaySeconds: 0 };
    assert.deepEqual(r.health.liveness, { tcpSocket: { port: 8080 }, ...timing });
    assert.deepEqual(r.health.readiness, { tcpSocket: { port: 8080 }, ...timing });
    assert.equal(r.health.startup?.failureThreshold, probeDefaults.startupFailureThreshold);
    assert.equal(r.health.startup?.periodSeconds, probeDefaults.startupPeriodSeconds);
    assert.ok(r.health.startup!.timeoutSeconds < r.health.startup!.periodSeconds, 'startup timeout stays below its period');
    assert.equal(r.health.defaulted, true);
  });

  it('leaves probes to the user once any probe is given', () => {
    const r = resolve(minimal.port('http', 8080).readiness({ httpGet: { path: '/ready', port: 'http' } }));
    assert.equal(r.health.liveness, undefined);
    assert.equal(r.health.startup, undefined, 'no startup window without a liveness probe');
    assert.deepEqual(r.health.readiness?.httpGet, { path: '/ready', port: 'http' });
    assert.equal(r.health.readiness?.periodSeconds, probeDefaults.periodSeconds);
  });

  it('adds the startup window to a user liveness probe and keeps a user startup probe', () => {
    const withLiveness = resolve(minimal.liveness({ exec: { command: ['healthcheck'] }, timeoutSeconds: 2 }));
    assert.deepEqual(withLiveness.health.startup?.exec, { command: ['healthcheck'] });
    assert.equal(withLiveness.health.startup?.timeoutSeconds, 2);
    const withStartup = resolve(minimal.liveness({ exec: { command: ['a'] } }).startup({ exec: { command: ['b'] }, failureThreshold: 60 }));
    assert.deepEqual(withStartup.health.startup?.exec, { command: ['b'] });
    assert.equal(withStartup.health.startup?.failureThreshold, 60);
  });

  it('puts default probes on the first TCP port, never on a UDP one', () => {
    assert.deepEqual(resolve(minimal.port('syslog', 514, 'UDP').port('http', 2020)).health.liveness?.tcpSocket, { port: 2020 });
    assert.deepEqual(resolve(minimal.port('statsd', 8125, 'UDP')).health, { defaulted: false });
  });

  it('has no probes with neither ports nor health', () => {
    assert.deepEqual(resolve(minimal.health({})).health, { defaulted: false });
  });

  const resources: [string, Parameters<typeof minimal.resources>[0], { requests: object; limits: object }][] = [
    ['keeps user values and fills the rest', { requests: { cpu: '1' }, limits: { cpu: '2' } }, { requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '2', memory: '256Mi' } }],
    ['lowers a defaulted request to a smaller user limit', { limits: { memory: '64Mi', cpu: '50m' } }, { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '50m', memory: '64Mi' } }],
    ['raises a defaulted limit to a larger user request', { requests: { memory: '1Gi' } }, { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } }],
    ['writes integer quantities as strings', { requests: { cpu: 1 } }, { requests: { cpu: '1', memory: '128Mi' }, limits: { memory: '256Mi' } }],
    ['passes ephemeral-storage through', { requests: { 'ephemeral-storage': '1Gi' } }, { requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '1Gi' }, limits: { memory: '256Mi' } }],
  ];
  for (const [title, given, expected] of resources) {
    it(`resources: ${title}`, () => assert.deepEqual(resolve(minimal.resources(given)).resources, expected));
  }

  it('defaults config mountPath and fileName', () => {
    const r = resolve(minimal.inlineConfig({ a: 1 }));
    assert.equal(r.config?.mountPath, configDefaults.mountPath);
    assert.equal(r.config?.fileName, configDefaults.fileName);
  });

  it('defaults storage to ReadWriteOnce at /var/lib/agent, retained', () => {
    assert.deepEqual(resolve(minimal.storage('1Gi')).storage, { size: '1Gi', accessModes: [...storageDefaults.accessModes], mountPath: storageDefaults.mountPath, retainOnDelete: true });
    assert.equal(resolve(minimal.storage('1Gi', { storageClassName: 'fast' })).storage?.storageClassName, 'fast');
  });

  it('defaults recovery from recoveryDefaults, maxMemory twice the memory limit', () => {
    const r = resolve(minimal);
    assert.deepEqual(r.recovery, {
      restart: {
        initialBackoffSeconds: recoveryDefaults.initialBackoffSeconds,
        maxBackoffSeconds: recoveryDefaults.maxBackoffSeconds,
        maxAttempts: recoveryDefaults.maxAttempts,
        windowSeconds: recoveryDefaults.windowSeconds,
        healthyResetSeconds: recoveryDefaults.healthyResetSeconds,
      },
      oomKilled: { action: recoveryDefaults.oomAction, maxMemory: '512Mi', proactive: false },
      onExhausted: recoveryDefaults.onExhausted,
    });
    assert.equal(resolve(minimal.resources({ limits: { memory: '1Gi' } })).recovery.oomKilled.maxMemory, '2Gi');
    assert.equal(resolve(minimal.recovery({ oomKilled: { maxMemory: '3Gi' } })).recovery.oomKilled.maxMemory, '3Gi');
  });

  it('enables the Service when ports exist, and honours an explicit choice', () => {
    assert.deepEqual(resolve(minimal.port('http', 80)).service, { enabled: true, type: 'ClusterIP' });
    assert.deepEqual(resolve(minimal.port('http', 80).service({ enabled: false })).service, { enabled: false, type: 'ClusterIP' });
    assert.deepEqual(resolve(minimal.port('http', 80).service({ type: 'Headless' })).service, { enabled: true, type: 'Headless' });
  });

  it('defaults the port protocol to TCP', () => {
    assert.deepEqual(resolve(minimal.port('dns', 53, 'UDP').port('http', 80)).ports, [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'http', containerPort: 80, protocol: 'TCP' },
    ]);
  });
});

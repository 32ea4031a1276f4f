import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedPort, ResolvedProbe } from '../../../src/desired/defaults.ts';
import { containerProbe, resolvePort } from '../../../src/desired/probes.ts';

const ports: ResolvedPort[] = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }];
const timing = { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, initialDelaySeconds: 0 };

describe('containerProbe', () => {
  const table: [string, ResolvedProbe, object][] = [
    ['resolves an httpGet port name to its number and defaults the path to /', { httpGet: { port: 'metrics' }, ...timing }, { httpGet: { path: '/', port: 9090 }, ...timing, initialDelaySeconds: undefined }],
    ['keeps an httpGet path and scheme', { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTPS' }, ...timing }, { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTPS' }, ...timing, initialDelaySeconds: undefined }],
    ['reads a numeric string port as a number', { tcpSocket: { port: '7000' }, ...timing }, { tcpSocket: { port: 7000 }, ...timing, initialDelaySeconds: undefined }],
    ['passes an exec command through', { exec: { command: ['/bin/check', '--quick'] }, ...timing }, { exec: { command: ['/bin/check', '--quick'] }, ...timing, initialDelaySeconds: undefined }],
    ['keeps a non-zero initialDelaySeconds', { tcpSocket: { port: 'http' }, ...timing, initialDelaySeconds: 15 }, { tcpSocket: { port: 8080 }, ...timing, initialDelaySeconds: 15 }],
  ];
  for (const [title, probe, expected] of table) {
    it(title, () => {
      const r = containerProbe('liveness', probe, ports);
      assert.ok(r.ok);
      const want = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
      assert.deepEqual(r.probe, want);
    });
  }

  it('refuses a port name that is not in spec.ports, naming the probe and the known ports', () => {
    assert.deepEqual(containerProbe('readiness', { httpGet: { port: 'htpp' }, ...timing }, ports), {
      ok: false,
      message: 'spec.health.readiness.httpGet.port "htpp" names no port in spec.ports (known ports: http, metrics): use one of those names or a port number',
    });
    assert.deepEqual(containerProbe('liveness', { tcpSocket: { port: 'grpc' }, ...timing }, []), {
      ok: false,
      message: 'spec.health.liveness.tcpSocket.port "grpc" names no port in spec.ports (spec.ports is empty): use one of those names or a port number',
    });
  });

  it('leaves a port number alone even when it is not in spec.ports', () => {
    assert.equal(resolvePort(1234, ports), 1234);
  });
});

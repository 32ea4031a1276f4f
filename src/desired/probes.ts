import type { V1Probe } from '@kubernetes/client-node';
import type { ResolvedPort, ResolvedProbe } from './defaults.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = { ok: true; probe: V1Probe } | { ok: false; message: string };

/**
 * A resolved probe as a container probe. Port names are resolved to the
 * container port numbers here, so a typo is reported on the Agent, naming the
 * probe and the known ports, instead of surfacing as a failing probe on the pod.
 * Zero values the apiserver would drop (initialDelaySeconds 0) are left out,
 * so the desired object stays a subset of what the server stores.
 */
export function containerProbe(kind: ProbeKind, p: ResolvedProbe, ports: readonly ResolvedPort[]): ProbeResult {
  const probe: V1Probe = {};
  if (p.httpGet) {
    const port = resolvePort(p.httpGet.port, ports);
    if (port === undefined) return unknownPort(kind, 'httpGet', p.httpGet.port, ports);
    probe.httpGet = { path: p.httpGet.path ?? '/', port };
    if (p.httpGet.scheme) probe.httpGet.scheme = p.httpGet.scheme;
  } else if (p.tcpSocket) {
    const port = resolvePort(p.tcpSocket.port, ports);
    if (port === undefined) return unknownPort(kind, 'tcpSocket', p.tcpSocket.port, ports);
    probe.tcpSocket = { port };
  } else if (p.exec) {
    probe.exec = { command: [...p.exec.command] };
  }
  if (p.initialDelaySeconds > 0) probe.initialDelaySeconds = p.initialDelaySeconds;
  probe.periodSeconds = p.periodSeconds;
  probe.timeoutSeconds = p.timeoutSeconds;
  probe.successThreshold = p.successThreshold;
  probe.failureThreshold = p.failureThreshold;
  return { ok: true, probe };
}

/** A number, a numeric string, or the name of one of spec.ports; undefined when the name is unknown. */
export function resolvePort(port: number | string, ports: readonly ResolvedPort[]): number | undefined {
  if (typeof port === 'number') return port;
  if (/^[0-9]+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort;
}

function unknownPort(kind: ProbeKind, action: string, port: string | number, ports: readonly ResolvedPort[]): ProbeResult {
  const known = ports.length ? `known ports: ${ports.map((p) => p.name).join(', ')}` : 'spec.ports is empty';
  return {
    ok: false,
    message: `spec.health.${kind}.${action}.port "${port}" names no port in spec.ports (${known}): use one of those names or a port number`,
  };
}

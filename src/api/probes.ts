import { z } from 'zod';
import { doc } from './cel.ts';
import { intOrString } from './common.ts';

export const probeDefaults = {
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 3,
  successThreshold: 1,
  initialDelaySeconds: 0,
  /** The startup probe's window: 30 x 5 s gives a slow start 150 s instead of a long initialDelay. */
  startupFailureThreshold: 30,
  startupPeriodSeconds: 5,
} as const;

const seconds = (what: string, dflt: number | string, min = 1) =>
  doc(z.int().min(min).max(3600).optional(), { description: `${what} Default ${dflt}.` });

export const Probe = doc(
  z.object({
    httpGet: doc(z.object({
      path: doc(z.string().max(1024).regex(/^\//).optional(), { description: 'HTTP path, starting with /. Default /.' }),
      port: intOrString('Port number or the name of one of spec.ports.'),
      scheme: doc(z.enum(['HTTP', 'HTTPS']).optional(), { description: 'Default HTTP.' }),
    }).optional(), { description: 'Probe by HTTP GET; a status 200-399 passes.' }),
    tcpSocket: doc(z.object({
      port: intOrString('Port number or the name of one of spec.ports.'),
    }).optional(), { description: 'Probe by opening a TCP connection.' }),
    exec: doc(z.object({
      command: doc(z.array(z.string().max(1024)).min(1).max(32), { description: 'Command run in the container; exit 0 passes.' }),
    }).optional(), { description: 'Probe by running a command in the container.' }),
    periodSeconds: seconds('How often to probe.', probeDefaults.periodSeconds),
    timeoutSeconds: seconds('How long one probe may take; must be shorter than periodSeconds.', `${probeDefaults.timeoutSeconds} (or periodSeconds - 1 when that is shorter)`),
    failureThreshold: seconds('Consecutive failures before the probe counts as failed.', probeDefaults.failureThreshold),
    successThreshold: seconds('Consecutive successes before the probe counts as passed (must be 1 for liveness and startup).', probeDefaults.successThreshold),
    initialDelaySeconds: seconds('Wait before the first probe. Prefer a startup probe for slow starts.', probeDefaults.initialDelaySeconds, 0),
  }),
  {
    description: 'A health probe: exactly one of httpGet, tcpSocket or exec, plus timing.',
    rules: [
      {
        rule: '[has(self.httpGet), has(self.tcpSocket), has(self.exec)].filter(x, x).size() == 1',
        message: 'set exactly one of httpGet, tcpSocket or exec in this probe',
      },
      {
        rule: `!has(self.timeoutSeconds) || self.timeoutSeconds < (has(self.periodSeconds) ? self.periodSeconds : ${probeDefaults.periodSeconds})`,
        message: `timeoutSeconds must be shorter than periodSeconds (default period ${probeDefaults.periodSeconds}): a probe that may run longer than its period overlaps itself and turns slowness into restarts; lower timeoutSeconds or raise periodSeconds`,
        fieldPath: '.timeoutSeconds',
      },
    ],
  },
);
export type Probe = z.infer<typeof Probe>;

const single = (what: string) => doc(Probe.optional(), { description: what });

export const Health = doc(
  z.object({
    liveness: single('Restarts the container when it fails. Default with a TCP port: TCP on the first TCP port.'),
    readiness: single('Takes the pod out of Service endpoints while it fails. Default with a TCP port: TCP on the first TCP port.'),
    startup: single('Holds liveness back until the agent has started (default window 30 x 5 s when a liveness probe exists).'),
  }),
  {
    description: 'Health probes. With a TCP port and no health spec: TCP probes on the first TCP port. With neither: no probes, and the Agent reports a ProbesMissing warning condition.',
    rules: [
      { rule: '!has(self.liveness) || !has(self.liveness.successThreshold) || self.liveness.successThreshold == 1', message: 'liveness.successThreshold must be 1 (Kubernetes requires it); remove it or set 1', fieldPath: '.liveness.successThreshold' },
      { rule: '!has(self.startup) || !has(self.startup.successThreshold) || self.startup.successThreshold == 1', message: 'startup.successThreshold must be 1 (Kubernetes requires it); remove it or set 1', fieldPath: '.startup.successThreshold' },
    ],
  },
);
export type Health = z.infer<typeof Health>;

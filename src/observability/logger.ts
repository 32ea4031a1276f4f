import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LoggerOptions as LoggerOptionsOfPino } from 'pino';
import type { LogLevel } from '../config.ts';

// JSON logs, one line per event. Every line of one reconcile carries the same
// reconcileID and the Agent's namespace and name (the controller's child
// logger, src/runtime/controller.ts), so `jq 'select(.reconcileID==...)'`
// shows one pass whole. Secret material never reaches a line: the paths below
// are censored by pino before serialisation, wherever an object is logged.

export type { Logger } from 'pino';

export const censor = '[REDACTED]';

/**
 * Keys whose value is secret wherever they appear (Secret data and stringData,
 * credentials, auth headers), and env literals (`env[].value`) inside anything
 * shaped like a pod template or an Agent spec. ConfigMap `data` is censored
 * too: the price of not having to know the kind of every object logged.
 */
const secretKeys = ['data', 'stringData', 'token', 'password', 'authorization', 'Authorization', 'bearerToken', 'apiKey'];
const envValueTails = [
  'env[*].value',
  'containers[*].env[*].value',
  'initContainers[*].env[*].value',
  'spec.containers[*].env[*].value',
  'spec.initContainers[*].env[*].value',
  'template.spec.containers[*].env[*].value',
  'template.spec.initContainers[*].env[*].value',
  'spec.template.spec.containers[*].env[*].value',
  'spec.template.spec.initContainers[*].env[*].value',
];

/**
 * pino's wildcards match exactly one level, so each tail is listed under 0..depth
 * wildcard levels; 4 covers `{err: {response: {body: {token}}}}`-style nesting
 * and a Deployment logged under any key of a child binding.
 */
export function redactPaths(depth = 4): string[] {
  const paths: string[] = [];
  for (const tail of [...secretKeys, ...envValueTails]) {
    for (let d = 0; d <= depth; d++) paths.push(`${'*.'.repeat(d)}${tail}`);
  }
  return paths;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout, written synchronously so nothing is lost on exit, when omitted. Tests pass a Writable. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    // No pid/hostname on every line: the log pipeline knows the pod.
    base: undefined,
    timestamp: stdTimeFunctions.isoTime,
    // Level names, not numbers: log pipelines and humans read "warn".
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: redactPaths(), censor },
  } satisfies LoggerOptionsOfPino;
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

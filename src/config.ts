import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { defaultPodPolicy, serviceAccountPattern } from './policy/pod-policy.ts';
import { podSecurityLevels } from './policy/pod-security.ts';
import { hostPathGrantPattern } from './policy/node-agent-grant.ts';
import { defaultHealthyAfterSeconds } from './status/compute.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { randomBytes } = process.getBuiltinModule('node:crypto');
const { readFileSync } = process.getBuiltinModule('node:fs');

// The operator's settings, from environment variables and `--flags` (a flag
// wins over its variable). Everything is checked at startup so a typo stops the
// process with a message naming the setting and what it accepts, instead of
// surfacing as a strange failure an hour later.

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof logLevels)[number];

/** The one field manager for every write (server-side apply and status). */
export const fieldManager = 'agent-operator';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The operator's settings: each one as the table below reads it from its
 * flag or variable, or its fallback; and who this process is.
 */
export type Config = { [K in keyof Settings]: z.output<Settings[K]['parse']> | Settings[K]['fallback'] } & {
  fieldManager: typeof fieldManager;
  /** Who this process is in Leases and Events (reportingInstance). */
  identity: string;
};

/** Startup configuration is wrong; `issues` has one line per bad setting. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** What the process learns from its surroundings; injected so loadConfig stays pure. */
export interface HostFacts {
  hostname: string;
  /** A short random suffix that keeps two processes on one host apart. */
  randomSuffix: string;
  /** The namespace of the kubeconfig's current context (or the in-cluster one), if any. */
  currentNamespace(kubeconfig: string | undefined): string | undefined;
}

type Raw = { text: string; source: string };

interface Setting<T> {
  env: string;
  flag: string;
  /** Parses the text or returns undefined; the message says what is allowed. */
  parse: z.ZodType<T, string>;
  allowed: string;
  /** The value when neither the flag nor the variable is set. */
  fallback: T;
  /** The default in words, where loadConfig works it out rather than taking `fallback` alone. */
  defaultIs?: string;
  boolean?: true;
}

const wholeNumber = (min: number, max: number): z.ZodType<number, string> =>
  z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.int().min(min).max(max));

const bindAddress = (allowOff: boolean): z.ZodType<string, string> =>
  z.string().trim().refine((s) => (allowOff && s === '0') || parseBindAddress(s) !== undefined);

const trueOrFalse = z.string().trim().toLowerCase().pipe(z.enum(['true', 'false', '1', '0'])).transform((s) => s === 'true' || s === '1');

const commaList = (item: z.ZodType<string, string>): z.ZodType<string[], string> =>
  z.string().transform((s) => s.split(',').map((n) => n.trim()).filter((n) => n !== '')).pipe(z.array(item));

const settings = {
  watchNamespaces: {
    env: 'WATCH_NAMESPACES', flag: '--watch-namespaces', fallback: [],
    parse: commaList(z.string().max(63).regex(dns1123Label)),
    allowed: 'must be a comma-separated list of namespace names (lowercase letters, digits, "-"; empty means all namespaces)',
  },
  leaderElect: {
    env: 'LEADER_ELECT', flag: '--leader-elect', boolean: true, fallback: true,
    parse: trueOrFalse,
    allowed: 'must be true or false',
  },
  leaderElectionNamespace: {
    env: 'LEADER_ELECTION_NAMESPACE', flag: '--leader-election-namespace', fallback: 'default',
    defaultIs: "the pod's namespace (POD_NAMESPACE), else the kubeconfig context's, else default",
    parse: z.string().trim().max(63).regex(dns1123Label),
    allowed: 'must be a namespace name (lowercase letters, digits, "-", at most 63)',
  },
  leaseName: {
    env: 'LEASE_NAME', flag: '--lease-name', fallback: 'agent-operator-leader',
    parse: z.string().trim().max(253).regex(dns1123Subdomain),
    allowed: 'must be a DNS subdomain name (lowercase letters, digits, "-", ".", at most 253)',
  },
  shards: {
    env: 'SHARDS', flag: '--shards', fallback: 1,
    parse: wholeNumber(1, 64),
    allowed: 'must be a whole number from 1 to 64 (Agents are split into this many shards by a hash of namespace/name; each replica leads some of them, one Lease per shard)',
  },
  metricsBindAddress: {
    env: 'METRICS_BIND_ADDRESS', flag: '--metrics-bind-address', fallback: ':8080',
    parse: bindAddress(true),
    allowed: 'must be host:port or :port with a port from 0 to 65535, or 0 to turn metrics off',
  },
  healthProbeBindAddress: {
    env: 'HEALTH_PROBE_BIND_ADDRESS', flag: '--health-probe-bind-address', fallback: ':8081',
    parse: bindAddress(false),
    allowed: 'must be host:port or :port with a port from 0 to 65535',
  },
  workers: {
    env: 'WORKERS', flag: '--workers', fallback: 2,
    parse: wholeNumber(1, 64),
    allowed: 'must be a whole number from 1 to 64',
  },
  logLevel: {
    env: 'LOG_LEVEL', flag: '--log-level', fallback: 'info' as LogLevel,
    parse: z.string().trim().toLowerCase().pipe(z.enum(logLevels)),
    allowed: `must be one of ${logLevels.join(', ')}`,
  },
  kubeconfig: {
    env: 'KUBECONFIG', flag: '--kubeconfig', fallback: undefined as string | undefined,
    defaultIs: 'in-cluster, else ~/.kube/config; a `:`-separated list is read as kubectl reads it',
    parse: z.string().trim().min(1),
    allowed: 'must be a file path',
  },
  healthyAfterSeconds: {
    env: 'HEALTHY_AFTER_SECONDS', flag: '--healthy-after-seconds', fallback: defaultHealthyAfterSeconds,
    parse: wholeNumber(1, 86400),
    allowed: 'must be a whole number of seconds from 1 to 86400 (how long a revision runs ready and failure-free before it is recorded as the last healthy one, the Rollback target)',
  },
  shutdownTimeoutSeconds: {
    env: 'SHUTDOWN_TIMEOUT_SECONDS', flag: '--shutdown-timeout-seconds', fallback: 30,
    parse: wholeNumber(1, 3600),
    allowed: 'must be a whole number of seconds from 1 to 3600',
  },
  podSecurityLevel: {
    env: 'POD_SECURITY_LEVEL', flag: '--pod-security-level', fallback: defaultPodPolicy.level,
    parse: z.string().trim().toLowerCase().pipe(z.enum(podSecurityLevels)),
    allowed: `must be one of ${podSecurityLevels.join(', ')} (the Pod Security Standards level every Agent's pod must meet)`,
  },
  allowedServiceAccounts: {
    env: 'ALLOWED_SERVICE_ACCOUNTS', flag: '--allowed-service-accounts', fallback: [...defaultPodPolicy.allowedServiceAccounts],
    parse: commaList(z.string().regex(serviceAccountPattern)),
    allowed: 'must be a comma-separated list of namespace/name, namespace/* or * (ServiceAccounts Agents may use besides default; empty means none)',
  },
  nodeAgentHostPaths: {
    env: 'NODE_AGENT_HOST_PATHS', flag: '--node-agent-host-paths', fallback: [],
    parse: commaList(z.string().regex(hostPathGrantPattern)),
    allowed: 'must be a comma-separated list of absolute node paths without .. (e.g. /var/log,/proc,/sys: what DaemonSet-mode Agents may mount read-only as hostPath; empty means none)',
  },
  nodeMetrics: {
    env: 'NODE_METRICS', flag: '--node-metrics', boolean: true, fallback: false,
    parse: trueOrFalse,
    allowed: "must be true or false (read the kubelets' cAdvisor metrics through the node proxy; needs RBAC nodes/proxy get, the chart's nodeMetrics.enabled)",
  },
  nodeMetricsIntervalSeconds: {
    env: 'NODE_METRICS_INTERVAL_SECONDS', flag: '--node-metrics-interval-seconds', fallback: 15,
    parse: wholeNumber(1, 3600),
    allowed: 'must be a whole number of seconds from 1 to 3600 (between two readings of each node\'s metrics)',
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
type Parsed = { [K in keyof Settings]?: z.output<Settings[K]['parse']> };

/**
 * The configuration from `argv` (without node and script) and `env`. Pure:
 * the hostname, randomness and kubeconfig namespace come in through `host`.
 * Throws ConfigError listing every bad setting at once.
 */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, host: HostFacts = systemHost()): Config {
  const issues: string[] = [];
  const flags = parseFlags(argv, issues);
  const parsed: Parsed = {};
  for (const [key, setting] of Object.entries(settings) as [keyof Settings, Setting<unknown>][]) {
    const raw = flags.get(setting.flag) ?? fromEnv(env, setting.env);
    if (raw === undefined) continue;
    const result = setting.parse.safeParse(raw.text);
    if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
    else issues.push(`${raw.source}=${raw.text}: ${setting.allowed}`);
  }
  if ((parsed.shards ?? 1) > 1 && parsed.leaderElect === false) {
    issues.push(`SHARDS/--shards=${parsed.shards}: needs leader election (each shard is a Lease); drop LEADER_ELECT=false/--leader-elect=false, or set 1 shard`);
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const podNamespace = env['POD_NAMESPACE']?.trim();
  const podName = env['POD_NAME']?.trim();
  return {
    ...fallbacks(),
    ...parsed,
    leaderElectionNamespace: parsed.leaderElectionNamespace
      ?? (podNamespace || undefined)
      ?? host.currentNamespace(parsed.kubeconfig)
      ?? settings.leaderElectionNamespace.fallback,
    fieldManager,
    // controller-runtime's form: hostname_random, so two processes on one host differ.
    identity: podName || `${host.hostname}_${host.randomSuffix}`,
  };
}

/** Every setting's fallback, copied: a caller may keep its config and change it. */
function fallbacks(): { [K in keyof Settings]: Settings[K]['fallback'] } {
  return Object.fromEntries(Object.entries(settings).map(([key, s]) => [key, structuredClone(s.fallback)])) as { [K in keyof Settings]: Settings[K]['fallback'] };
}

/** One line per setting, for `--help`: flag, variable, what it accepts, and its default. */
export function usage(): string {
  return Object.values(settings as Record<string, Setting<unknown>>)
    .map((s) => `  ${s.flag.padEnd(30)} ${s.env.padEnd(26)} ${s.allowed}; default ${s.defaultIs ?? defaultText(s.fallback)}`)
    .join('\n');
}

function defaultText(fallback: unknown): string {
  return Array.isArray(fallback) ? (fallback.length ? fallback.join(',') : 'empty') : String(fallback);
}

/** An empty variable counts as unset: manifests often template `value: ""`. */
function fromEnv(env: Readonly<Record<string, string | undefined>>, name: string): Raw | undefined {
  const text = env[name];
  return text === undefined || text.trim() === '' ? undefined : { text, source: name };
}

/** `--name=value`, `--name value`, and a bare `--name` for booleans. */
function parseFlags(argv: readonly string[], issues: string[]): Map<string, Raw> {
  const byFlag = new Map<string, Setting<unknown>>(Object.values(settings as Record<string, Setting<unknown>>).map((s) => [s.flag, s]));
  const out = new Map<string, Raw>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const setting = byFlag.get(flag);
    if (setting === undefined) {
      issues.push(arg.startsWith('--')
        ? `${flag}: unknown flag; known flags are ${[...byFlag.keys()].join(', ')}`
        : `${arg}: unexpected argument; settings are --flags or environment variables`);
      continue;
    }
    let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (text === undefined) {
      const next = argv[i + 1];
      if (setting.boolean) text = next === 'true' || next === 'false' ? (i++, next) : 'true';
      else if (next !== undefined && !next.startsWith('--')) text = (i++, next);
      else {
        issues.push(`${flag}: needs a value (${flag}=...): ${setting.allowed}`);
        continue;
      }
    }
    out.set(flag, { text, source: flag });
  }
  return out;
}

/** `:8080` -> all interfaces; `127.0.0.1:0`, `[::1]:9090`. Undefined when malformed. */
export function parseBindAddress(text: string): { host: string | undefined; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const rawHost = m[1] ?? '';
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { host: host === '' ? undefined : host, port };
}

const serviceAccountNamespace = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The real surroundings: os hostname, crypto randomness, kubeconfig or in-cluster namespace. */
export function systemHost(): HostFacts {
  return {
    hostname: hostname(),
    randomSuffix: randomBytes(4).toString('hex'),
    currentNamespace: (kubeconfig) => {
      try {
        if (kubeconfig === undefined) return readFileSync(serviceAccountNamespace, 'utf8').trim() || undefined;
      } catch {
        // not in a cluster: fall through to the kubeconfig
      }
      return kubeconfigNamespace(kubeconfig);
    },
  };
}

/**
 * The current context's namespace, read with the yaml package rather than
 * client-node so config stays free of the Kubernetes client. Unreadable files
 * give undefined: the client reports them properly when it loads them.
 */
function kubeconfigNamespace(kubeconfig: string | undefined): string | undefined {
  const first = (kubeconfig ?? process.env['KUBECONFIG'] ?? '').split(':').find((p) => p !== '')
    ?? `${process.env['HOME'] ?? ''}/.kube/config`;
  try {
    const doc = parseYaml(readFileSync(first, 'utf8')) as {
      'current-context'?: string;
      contexts?: { name?: string; context?: { namespace?: string } }[];
    } | null;
    const ns = doc?.contexts?.find((c) => c.name === doc['current-context'])?.context?.namespace;
    return typeof ns === 'string' && ns !== '' ? ns : undefined;
  } catch {
    return undefined;
  }
}

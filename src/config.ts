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

export const Config = z.object({
  /** Namespaces to watch; empty means all. */
  watchNamespaces: z.array(z.string()),
  leaderElect: z.boolean(),
  leaderElectionNamespace: z.string(),
  leaseName: z.string(),
  /** Shards of the Agents (1: no sharding); each has its own Lease, `<leaseName>-shard-<i>`. */
  shards: z.int(),
  /** `host:port`, `:port` (all interfaces) or `0` (metrics off). */
  metricsBindAddress: z.string(),
  /** `host:port` or `:port`. */
  healthProbeBindAddress: z.string(),
  workers: z.int(),
  logLevel: z.enum(logLevels),
  fieldManager: z.literal(fieldManager),
  /** Path (or `:`-separated list) of kubeconfig files; undefined means in-cluster, else ~/.kube/config. */
  kubeconfig: z.string().optional(),
  shutdownTimeoutSeconds: z.int(),
  /** How long a revision runs complete, ready and failure-free before it counts as healthy (the Rollback target). */
  healthyAfterSeconds: z.int(),
  /** Who this process is in Leases and Events (reportingInstance). */
  identity: z.string(),
  /** The Pod Security Standards level every pod the operator builds must meet (src/policy). */
  podSecurityLevel: z.enum(podSecurityLevels),
  /** ServiceAccounts Agents may name besides default: `*`, `<namespace>/*`, `<namespace>/<name>`. */
  allowedServiceAccounts: z.array(z.string()),
  nodeAgentHostPaths: z.array(z.string()),
  /** Read the kubelets' cAdvisor metrics through the node proxy (needs nodes/proxy get): memory headroom and CPU throttling. */
  nodeMetrics: z.boolean(),
  /** Seconds between two readings of every node. */
  nodeMetricsIntervalSeconds: z.int(),
});
export type Config = z.infer<typeof Config>;

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
  boolean?: true;
}

const wholeNumber = (min: number, max: number): z.ZodType<number, string> =>
  z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.int().min(min).max(max));

const bindAddress = (allowOff: boolean): z.ZodType<string, string> =>
  z.string().trim().refine((s) => (allowOff && s === '0') || parseBindAddress(s) !== undefined);

const settings = {
  watchNamespaces: {
    env: 'WATCH_NAMESPACES', flag: '--watch-namespaces',
    parse: z.string().transform((s) => s.split(',').map((n) => n.trim()).filter((n) => n !== ''))
      .pipe(z.array(z.string().max(63).regex(dns1123Label))),
    allowed: 'must be a comma-separated list of namespace names (lowercase letters, digits, "-"; empty means all namespaces)',
  },
  leaderElect: {
    env: 'LEADER_ELECT', flag: '--leader-elect', boolean: true,
    parse: z.string().trim().toLowerCase().pipe(z.enum(['true', 'false', '1', '0'])).transform((s) => s === 'true' || s === '1'),
    allowed: 'must be true or false',
  },
  leaderElectionNamespace: {
    env: 'LEADER_ELECTION_NAMESPACE', flag: '--leader-election-namespace',
    parse: z.string().trim().max(63).regex(dns1123Label),
    allowed: 'must be a namespace name (lowercase letters, digits, "-", at most 63)',
  },
  leaseName: {
    env: 'LEASE_NAME', flag: '--lease-name',
    parse: z.string().trim().max(253).regex(dns1123Subdomain),
    allowed: 'must be a DNS subdomain name (lowercase letters, digits, "-", ".", at most 253)',
  },
  shards: {
    env: 'SHARDS', flag: '--shards',
    parse: wholeNumber(1, 64),
    allowed: 'must be a whole number from 1 to 64 (Agents are split into this many shards by a hash of namespace/name; each replica leads some of them, one Lease per shard)',
  },
  metricsBindAddress: {
    env: 'METRICS_BIND_ADDRESS', flag: '--metrics-bind-address',
    parse: bindAddress(true),
    allowed: 'must be host:port or :port with a port from 0 to 65535, or 0 to turn metrics off',
  },
  healthProbeBindAddress: {
    env: 'HEALTH_PROBE_BIND_ADDRESS', flag: '--health-probe-bind-address',
    parse: bindAddress(false),
    allowed: 'must be host:port or :port with a port from 0 to 65535',
  },
  workers: {
    env: 'WORKERS', flag: '--workers',
    parse: wholeNumber(1, 64),
    allowed: 'must be a whole number from 1 to 64',
  },
  logLevel: {
    env: 'LOG_LEVEL', flag: '--log-level',
    parse: z.string().trim().toLowerCase().pipe(z.enum(logLevels)),
    allowed: `must be one of ${logLevels.join(', ')}`,
  },
  kubeconfig: {
    env: 'KUBECONFIG', flag: '--kubeconfig',
    parse: z.string().trim().min(1),
    allowed: 'must be a file path',
  },
  healthyAfterSeconds: {
    env: 'HEALTHY_AFTER_SECONDS', flag: '--healthy-after-seconds',
    parse: wholeNumber(1, 86400),
    allowed: 'must be a whole number of seconds from 1 to 86400 (how long a revision runs ready and failure-free before it is recorded as the last healthy one, the Rollback target)',
  },
  shutdownTimeoutSeconds: {
    env: 'SHUTDOWN_TIMEOUT_SECONDS', flag: '--shutdown-timeout-seconds',
    parse: wholeNumber(1, 3600),
    allowed: 'must be a whole number of seconds from 1 to 3600',
  },
  podSecurityLevel: {
    env: 'POD_SECURITY_LEVEL', flag: '--pod-security-level',
    parse: z.string().trim().toLowerCase().pipe(z.enum(podSecurityLevels)),
    allowed: `must be one of ${podSecurityLevels.join(', ')} (the Pod Security Standards level every Agent's pod must meet)`,
  },
  allowedServiceAccounts: {
    env: 'ALLOWED_SERVICE_ACCOUNTS', flag: '--allowed-service-accounts',
    parse: z.string().transform((s) => s.split(',').map((n) => n.trim()).filter((n) => n !== ''))
      .pipe(z.array(z.string().regex(serviceAccountPattern))),
    allowed: 'must be a comma-separated list of namespace/name, namespace/* or * (ServiceAccounts Agents may use besides default; empty means none)',
  },
  nodeAgentHostPaths: {
    env: 'NODE_AGENT_HOST_PATHS', flag: '--node-agent-host-paths',
    parse: z.string().transform((s) => s.split(',').map((n) => n.trim()).filter((n) => n !== ''))
      .pipe(z.array(z.string().regex(hostPathGrantPattern))),
    allowed: 'must be a comma-separated list of absolute node paths without .. (e.g. /var/log,/proc,/sys: what DaemonSet-mode Agents may mount read-only as hostPath; empty means none)',
  },
  nodeMetrics: {
    env: 'NODE_METRICS', flag: '--node-metrics', boolean: true,
    parse: z.string().trim().toLowerCase().pipe(z.enum(['true', 'false', '1', '0'])).transform((s) => s === 'true' || s === '1'),
    allowed: "must be true or false (read the kubelets' cAdvisor metrics through the node proxy; needs RBAC nodes/proxy get, the chart's nodeMetrics.enabled)",
  },
  nodeMetricsIntervalSeconds: {
    env: 'NODE_METRICS_INTERVAL_SECONDS', flag: '--node-metrics-interval-seconds',
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
  return Config.parse({
    watchNamespaces: parsed.watchNamespaces ?? [],
    leaderElect: parsed.leaderElect ?? true,
    leaderElectionNamespace: parsed.leaderElectionNamespace
      ?? (podNamespace || undefined)
      ?? host.currentNamespace(parsed.kubeconfig)
      ?? 'default',
    leaseName: parsed.leaseName ?? 'agent-operator-leader',
    shards: parsed.shards ?? 1,
    metricsBindAddress: parsed.metricsBindAddress ?? ':8080',
    healthProbeBindAddress: parsed.healthProbeBindAddress ?? ':8081',
    workers: parsed.workers ?? 2,
    logLevel: parsed.logLevel ?? 'info',
    fieldManager,
    kubeconfig: parsed.kubeconfig,
    shutdownTimeoutSeconds: parsed.shutdownTimeoutSeconds ?? 30,
    healthyAfterSeconds: parsed.healthyAfterSeconds ?? defaultHealthyAfterSeconds,
    // controller-runtime's form: hostname_random, so two processes on one host differ.
    identity: podName || `${host.hostname}_${host.randomSuffix}`,
    podSecurityLevel: parsed.podSecurityLevel ?? defaultPodPolicy.level,
    allowedServiceAccounts: parsed.allowedServiceAccounts ?? [...defaultPodPolicy.allowedServiceAccounts],
    nodeAgentHostPaths: parsed.nodeAgentHostPaths ?? [],
    nodeMetrics: parsed.nodeMetrics ?? false,
    nodeMetricsIntervalSeconds: parsed.nodeMetricsIntervalSeconds ?? 15,
  });
}

/** One line per setting, for `--help` and the README. */
export function usage(): string {
  return Object.values(settings as Record<string, Setting<unknown>>)
    .map((s) => `  ${s.flag.padEnd(30)} ${s.env.padEnd(26)} ${s.allowed}`)
    .join('\n');
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

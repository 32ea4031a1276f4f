import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseBindAddress, usage, type HostFacts } from '../../src/config.ts';

const host = (namespace?: string): HostFacts => ({
  hostname: 'box',
  randomSuffix: 'abcd1234',
  currentNamespace: () => namespace,
});

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults when nothing is set', () => {
    assert.deepEqual(loadConfig([], {}, host()), {
      watchNamespaces: [],
      leaderElect: true,
      leaderElectionNamespace: 'default',
      leaseName: 'agent-operator-leader',
      shards: 1,
      metricsBindAddress: ':8080',
      healthProbeBindAddress: ':8081',
      workers: 2,
      logLevel: 'info',
      fieldManager: 'agent-operator',
      kubeconfig: undefined,
      shutdownTimeoutSeconds: 30,
      healthyAfterSeconds: 60,
      identity: 'box_abcd1234',
      podSecurityLevel: 'baseline',
      allowedServiceAccounts: [],
      nodeAgentHostPaths: [],
      nodeMetrics: false,
      nodeMetricsIntervalSeconds: 15,
    });
  });

  it('shards only with leader election, 1 to 64, naming the setting and the fix', () => {
    assert.equal(loadConfig(['--shards', '4'], {}, host()).shards, 4);
    assert.equal(loadConfig([], { SHARDS: '2' }, host()).shards, 2);
    assert.throws(() => loadConfig([], { SHARDS: '0' }, host()), /SHARDS=0: must be a whole number from 1 to 64/);
    assert.throws(() => loadConfig(['--shards=65'], {}, host()), /--shards=65: must be a whole number from 1 to 64/);
    assert.throws(() => loadConfig(['--shards=2', '--leader-elect=false'], {}, host()), /SHARDS\/--shards=2: needs leader election .*drop LEADER_ELECT=false/);
    assert.equal(loadConfig(['--shards=1', '--leader-elect=false'], {}, host()).shards, 1);
  });

  it('reads the node metrics only when asked, every 15 s unless told otherwise', () => {
    const c = loadConfig(['--node-metrics', '--node-metrics-interval-seconds', '5'], {}, host());
    assert.equal(c.nodeMetrics, true);
    assert.equal(c.nodeMetricsIntervalSeconds, 5);
    assert.throws(() => loadConfig([], { NODE_METRICS_INTERVAL_SECONDS: '0' }, host()), /NODE_METRICS_INTERVAL_SECONDS=0: must be a whole number of seconds from 1 to 3600/);
  });

  it('reads every setting from its environment variable', () => {
    const c = loadConfig([], {
      WATCH_NAMESPACES: 'team-a, team-b,,',
      LEADER_ELECT: 'false',
      LEADER_ELECTION_NAMESPACE: 'ops',
      LEASE_NAME: 'my-lease',
      METRICS_BIND_ADDRESS: '127.0.0.1:9090',
      HEALTH_PROBE_BIND_ADDRESS: ':0',
      WORKERS: '8',
      LOG_LEVEL: 'DEBUG',
      KUBECONFIG: '/tmp/kc',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
      POD_NAME: 'agent-operator-7d9f-x2',
      POD_SECURITY_LEVEL: 'Restricted',
      ALLOWED_SERVICE_ACCOUNTS: 'monitoring/collector, team-a/*',
    }, host());
    assert.equal(c.podSecurityLevel, 'restricted');
    assert.deepEqual(c.allowedServiceAccounts, ['monitoring/collector', 'team-a/*']);
    assert.deepEqual(c.watchNamespaces, ['team-a', 'team-b']);
    assert.equal(c.leaderElect, false);
    assert.equal(c.leaderElectionNamespace, 'ops');
    assert.equal(c.leaseName, 'my-lease');
    assert.equal(c.metricsBindAddress, '127.0.0.1:9090');
    assert.equal(c.healthProbeBindAddress, ':0');
    assert.equal(c.workers, 8);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.kubeconfig, '/tmp/kc');
    assert.equal(c.shutdownTimeoutSeconds, 5);
    assert.equal(c.identity, 'agent-operator-7d9f-x2');
  });

  it('takes how long a revision must run healthy, and refuses 0 naming the setting', () => {
    assert.equal(loadConfig([], { HEALTHY_AFTER_SECONDS: '10' }, host()).healthyAfterSeconds, 10);
    assert.equal(loadConfig(['--healthy-after-seconds=300'], {}, host()).healthyAfterSeconds, 300);
    assert.throws(() => loadConfig([], { HEALTHY_AFTER_SECONDS: '0' }, host()), /HEALTHY_AFTER_SECONDS=0: must be a whole number of seconds from 1 to 86400/);
  });

  it('lets a flag win over its environment variable', () => {
    const c = loadConfig(['--workers=4', '--log-level', 'warn'], { WORKERS: '9', LOG_LEVEL: 'error' }, host());
    assert.equal(c.workers, 4);
    assert.equal(c.logLevel, 'warn');
  });

  it('takes a bare boolean flag as true and an explicit value as given', () => {
    assert.equal(loadConfig(['--leader-elect'], { LEADER_ELECT: 'false' }, host()).leaderElect, true);
    assert.equal(loadConfig(['--leader-elect=false'], {}, host()).leaderElect, false);
    assert.equal(loadConfig(['--leader-elect', 'false'], {}, host()).leaderElect, false);
    assert.equal(loadConfig(['--leader-elect', '--workers=3'], {}, host()).workers, 3);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig([], { WORKERS: '', LOG_LEVEL: ' ' }, host()).workers, 2);
  });

  it('finds the leader election namespace in the variable, then POD_NAMESPACE, then the kubeconfig, then default', () => {
    assert.equal(loadConfig([], { LEADER_ELECTION_NAMESPACE: 'a', POD_NAMESPACE: 'b' }, host('c')).leaderElectionNamespace, 'a');
    assert.equal(loadConfig([], { POD_NAMESPACE: 'b' }, host('c')).leaderElectionNamespace, 'b');
    assert.equal(loadConfig([], {}, host('c')).leaderElectionNamespace, 'c');
    assert.equal(loadConfig([], {}, host()).leaderElectionNamespace, 'default');
  });

  it('asks the host for the namespace of the configured kubeconfig', () => {
    const asked: (string | undefined)[] = [];
    loadConfig(['--kubeconfig=/x/kc'], {}, { ...host(), currentNamespace: (k) => (asked.push(k), undefined) });
    assert.deepEqual(asked, ['/x/kc']);
  });

  it('allows 0 as the metrics address to turn metrics off, but not for health probes', () => {
    assert.equal(loadConfig([], { METRICS_BIND_ADDRESS: '0' }, host()).metricsBindAddress, '0');
    assert.match(configError(() => loadConfig([], { HEALTH_PROBE_BIND_ADDRESS: '0' }, host())).message, /HEALTH_PROBE_BIND_ADDRESS=0: must be host:port/);
  });

  const refused: [string, string[], Record<string, string>, RegExp][] = [
    ['a word for workers', [], { WORKERS: 'abc' }, /^WORKERS=abc: must be a whole number from 1 to 64$/],
    ['zero workers', [], { WORKERS: '0' }, /^WORKERS=0: must be a whole number from 1 to 64$/],
    ['a fraction of workers', ['--workers=1.5'], {}, /^--workers=1\.5: must be a whole number from 1 to 64$/],
    ['too many workers', [], { WORKERS: '65' }, /^WORKERS=65: must be a whole number/],
    ['an unknown log level', [], { LOG_LEVEL: 'verbose' }, /^LOG_LEVEL=verbose: must be one of trace, debug, info, warn, error, fatal$/],
    ['a non-boolean leader election', [], { LEADER_ELECT: 'maybe' }, /^LEADER_ELECT=maybe: must be true or false$/],
    ['an upper-case namespace', [], { WATCH_NAMESPACES: 'ok,Bad' }, /^WATCH_NAMESPACES=ok,Bad: must be a comma-separated list of namespace names/],
    ['a port out of range', [], { METRICS_BIND_ADDRESS: ':70000' }, /^METRICS_BIND_ADDRESS=:70000: must be host:port/],
    ['an address without a port', ['--health-probe-bind-address=localhost'], {}, /^--health-probe-bind-address=localhost: must be host:port/],
    ['a negative shutdown timeout', [], { SHUTDOWN_TIMEOUT_SECONDS: '-1' }, /^SHUTDOWN_TIMEOUT_SECONDS=-1: must be a whole number of seconds/],
    ['an invalid lease name', ['--lease-name=Leader_Lease'], {}, /^--lease-name=Leader_Lease: must be a DNS subdomain name/],
    ['an unknown flag', ['--wrokers=2'], {}, /^--wrokers: unknown flag; known flags are --watch-namespaces, /],
    ['a positional argument', ['run'], {}, /^run: unexpected argument/],
    ['a value flag without a value', ['--workers'], {}, /^--workers: needs a value/],
    ['an unknown pod security level', ['--pod-security-level=strict'], {}, /^--pod-security-level=strict: must be one of privileged, baseline, restricted/],
    ['a ServiceAccount without its namespace', [], { ALLOWED_SERVICE_ACCOUNTS: 'collector' }, /^ALLOWED_SERVICE_ACCOUNTS=collector: must be a comma-separated list of namespace\/name, namespace\/\* or \*/],
  ];
  for (const [what, argv, env, message] of refused) {
    it(`refuses ${what} with a message naming the setting and what is allowed`, () => {
      const err = configError(() => loadConfig(argv, env, host()));
      assert.equal(err.issues.length, 1);
      assert.match(err.issues[0] ?? '', message);
    });
  }

  it('reports every bad setting at once', () => {
    const err = configError(() => loadConfig(['--workers=x'], { LOG_LEVEL: 'loud', LEADER_ELECT: 'perhaps' }, host()));
    assert.equal(err.issues.length, 3);
    assert.match(err.message, /^invalid configuration:\n {2}/);
  });
});

describe('parseBindAddress', () => {
  const cases: [string, ReturnType<typeof parseBindAddress>][] = [
    [':8080', { host: undefined, port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
    ['localhost:8081', { host: 'localhost', port: 8081 }],
    ['8080', undefined],
    [':65536', undefined],
    ['::1:80', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseBindAddress(text), expected);
    });
  }
});

it('usage lists each flag with its variable, what it accepts and its default', () => {
  assert.match(usage(), /--workers\s+WORKERS\s+must be a whole number from 1 to 64; default 2$/m);
  assert.match(usage(), /--watch-namespaces\s+WATCH_NAMESPACES\s+.*; default empty$/m);
  assert.match(usage(), /--kubeconfig\s+KUBECONFIG\s+must be a file path; default in-cluster, else ~\/\.kube\/config/);
  assert.match(usage(), /--leader-election-namespace\s+.*; default the pod's namespace \(POD_NAMESPACE\), else the kubeconfig context's, else default$/m);
});

// Wiring only: config -> clients -> caches -> controller -> manager -> signals.
import { loadConfig, ConfigError, usage } from './config.ts';
import { EventRecorder, apiEventSink } from './kube/events.ts';
import { createKubeClient, loadKubeConfig } from './kube/client.ts';
import { kubeIO } from './kube/io.ts';
import { createLogger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { startHealthServer, startMetricsServer } from './observability/http.ts';
import { allInformers, createCaches } from './reconcile/caches.ts';
import { agentReconciler } from './reconcile/reconciler.ts';
import { agentRateLimiter } from './reconcile/retry.ts';
import { addIndexes, wireWatches } from './reconcile/watches.ts';
import { trackPhases } from './reconcile/phase-metrics.ts';
import { wakeOnUsageChange } from './reconcile/usage-wake.ts';
import { readNodeCadvisor } from './kube/node-metrics.ts';
import { UsageScraper } from './usage/scraper.ts';
import { realClock } from './runtime/clock.ts';
import { Controller } from './runtime/controller.ts';
import { KubeLeaseStore } from './runtime/lease-store.ts';
import { Manager } from './runtime/manager.ts';
import { ShardElection, shardLeaseName, shardOf } from './runtime/shards.ts';
import { RuntimeMetrics } from './runtime/metrics.ts';
import { userAgent, version } from './version.ts';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}

let config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`agent-operator: ${err.message}\n\n${usage()}\n`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger({ level: config.logLevel });
const metrics = createMetrics();
const runtimeMetrics = new RuntimeMetrics(metrics.registry);
let kubeConfig;
try {
  kubeConfig = loadKubeConfig(config.kubeconfig);
} catch (err) {
  // client-node's own errors (a missing or unreadable file) and ours alike: one line, no stack.
  process.stderr.write(`agent-operator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
// The identity in the User-Agent: the audit log tells which replica made a write (sharding's proof, test/e2e/leader-election.test.ts).
const client = createKubeClient({ kubeConfig, metrics, userAgent: `${userAgent} (${config.identity})` });
const { transport } = client;

const caches = createCaches({ transport, namespaces: config.watchNamespaces, logger: log });
addIndexes(caches);
const events = new EventRecorder({
  sink: apiEventSink(client), clock: realClock, identity: config.identity, logger: log,
  steps: new Set(['RestartedPod', 'MemoryIncreased', 'RolledBack', 'RecoveryExhausted', 'RecoveryCleared', 'Healthy']),
});
// Memory headroom and CPU throttling, from the kubelets' cAdvisor metrics: opt-in (nodes/proxy).
const scraper = config.nodeMetrics ? new UsageScraper({
  fetchNode: (node) => readNodeCadvisor(transport, node, AbortSignal.timeout(10_000)),
  pods: () => caches.pods.listAll(),
  clock: realClock,
  intervalMs: config.nodeMetricsIntervalSeconds * 1000,
  active: () => manager.isLeader(),
  onRound: (pods) => wakeOnUsageChange(caches, scraper!, pods, (key) => controller.queue.add(key)),
  log,
}) : undefined;
const controller = new Controller({
  name: 'agent',
  workers: config.workers,
  // A container's death is reconciled at once, not behind other Agents' rollouts (watches.ts podFailureSeen).
  urgentWorkers: 1,
  logger: log,
  metrics: runtimeMetrics,
  shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
  rateLimiter: agentRateLimiter(),
  ...(config.shards > 1 ? { accepts: (key: string) => shards!.holds(shardOf(key, config.shards)) } : {}),
  reconcile: agentReconciler({
    caches,
    clock: realClock,
    podPolicy: { level: config.podSecurityLevel, allowedServiceAccounts: config.allowedServiceAccounts, nodeAgentHostPaths: config.nodeAgentHostPaths },
    healthyAfterSeconds: config.healthyAfterSeconds,
    io: kubeIO(client),
    events,
    metrics,
    log,
    observeOutcome: (outcome) => metrics.reconcileOutcomes.inc({ outcome }),
    ...(scraper ? { readUsage: (pods: Parameters<UsageScraper['usageOf']>[0]) => scraper.usageOf(pods) } : {}),
  }),
});
wireWatches(controller, caches);
trackPhases(caches, metrics);

// --shards N: one Lease per shard instead of the leader's; see src/runtime/shards.ts.
const shards = config.shards > 1 ? new ShardElection({
  count: config.shards,
  store: (i) => new KubeLeaseStore(transport, config.leaderElectionNamespace, shardLeaseName(config.leaseName, i)),
  elector: { identity: config.identity, logger: log },
  metrics: (i) => runtimeMetrics.leaderElection(shardLeaseName(config.leaseName, i)),
  logger: log,
  onGained: (i) => manager.shardGained((key) => shardOf(key, config.shards) === i),
  onLost: () => manager.shardLost(),
}) : undefined;
const manager = new Manager({
  logger: log,
  shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
  ...(shards ? { shards } : config.leaderElect ? {
    leaderElection: {
      store: new KubeLeaseStore(transport, config.leaderElectionNamespace, config.leaseName),
      identity: config.identity,
      metrics: runtimeMetrics.leaderElection(config.leaseName),
    },
  } : {}),
  onLostLeadership: () => {
    log.error('lost leadership: exiting at once so that only one replica writes');
    process.exit(1);
  },
});
for (const informer of allInformers(caches)) manager.addInformer(informer);
manager.addController(controller);

const servers = await Promise.all([
  startMetricsServer({ address: config.metricsBindAddress, registry: metrics.registry }),
  startHealthServer({ address: config.healthProbeBindAddress, healthz: () => manager.healthy(), readyz: () => {
    const stale = manager.notReady();
    return { ok: stale.length === 0, detail: `caches not synced or not current: ${stale.join(', ')}` };
  } }),
]);

// SIGTERM: stop taking work, drain in-flight reconciles, release the lease, exit.
// A second signal exits at once.
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) {
    log.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, 'shutting down');
  scraper?.stop();
  void manager.stop().then(async () => {
    // Reconciles hand events over without waiting (src/reconcile/act.ts): write what is queued.
    await events.drain(5000);
    await Promise.all(servers.map((s) => s.close()));
    log.info('stopped');
    log.flush();
    process.exit(0);
  });
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

log.info({
  version,
  namespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all',
  leaderElect: config.leaderElect,
  shards: config.shards,
  identity: config.identity,
  workers: config.workers,
  podSecurityLevel: config.podSecurityLevel,
  nodeMetrics: config.nodeMetrics ? `every ${config.nodeMetricsIntervalSeconds}s` : 'off',
}, 'agent-operator starting');
scraper?.start();
await manager.start();

import { Counter, exponentialBuckets, Gauge, Histogram, type Registry } from 'prom-client';
import type { ControllerMetrics, ControllerMetricsProvider, ReconcileOutcome } from './controller.ts';
import type { LeaderElectionMetrics } from './leader-election.ts';
import type { InflightStats, Priority, WorkQueueMetrics } from './workqueue.ts';

// controller-runtime's metric names, labels, help texts and buckets, so its
// dashboards and alerts work unchanged. Workqueue metrics carry both `name`
// and `controller` (both the controller name) and depth a `priority` label, as
// in current controller-runtime. Everything registers on the Registry passed
// in, never prom-client's global one.

const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
const QUEUE_BUCKETS = exponentialBuckets(10e-9, 10, 12);
const OUTCOMES: ReconcileOutcome[] = ['success', 'error', 'requeue_after'];
/** controller-runtime's priority values: 0 normal, -100 low. */
const PRIORITY_LABEL: Record<Priority, string> = { normal: '0', low: '-100' };

export class RuntimeMetrics implements ControllerMetricsProvider {
  readonly #reconcileTotal: Counter<'controller' | 'result'>;
  readonly #reconcileErrors: Counter<'controller'>;
  readonly #terminalErrors: Counter<'controller'>;
  readonly #reconcileTime: Histogram<'controller'>;
  readonly #maxConcurrent: Gauge<'controller'>;
  readonly #activeWorkers: Gauge<'controller'>;
  readonly #depth: Gauge<'name' | 'controller' | 'priority'>;
  readonly #adds: Counter<'name' | 'controller'>;
  readonly #queueDuration: Histogram<'name' | 'controller'>;
  readonly #workDuration: Histogram<'name' | 'controller'>;
  readonly #retries: Counter<'name' | 'controller'>;
  readonly #leader: Gauge<'name'>;
  readonly #inflight = new Map<string, () => InflightStats>();

  constructor(registry: Registry) {
    const registers = [registry];
    const inflight = this.#inflight;
    this.#reconcileTotal = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers });
    this.#reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: ['controller'], registers });
    this.#terminalErrors = new Counter({ name: 'controller_runtime_terminal_reconcile_errors_total', help: 'Total number of terminal reconciliation errors per controller', labelNames: ['controller'], registers });
    this.#reconcileTime = new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller', labelNames: ['controller'], buckets: RECONCILE_BUCKETS, registers });
    this.#maxConcurrent = new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller', labelNames: ['controller'], registers });
    this.#activeWorkers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller', labelNames: ['controller'], registers });
    this.#depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue by workqueue and priority', labelNames: ['name', 'controller', 'priority'], registers });
    this.#adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name', 'controller'], registers });
    this.#queueDuration = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested', labelNames: ['name', 'controller'], buckets: QUEUE_BUCKETS, registers });
    this.#workDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.', labelNames: ['name', 'controller'], buckets: QUEUE_BUCKETS, registers });
    this.#retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name', 'controller'], registers });
    // Read from each queue's probe at scrape time.
    const inflightGauge = (name: string, help: string, stat: keyof InflightStats) => new Gauge({
      name, help, labelNames: ['name', 'controller'], registers,
      collect() {
        for (const [queue, probe] of inflight) this.set({ name: queue, controller: queue }, probe()[stat]);
      },
    });
    inflightGauge('workqueue_unfinished_work_seconds', "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.", 'unfinishedSeconds');
    inflightGauge('workqueue_longest_running_processor_seconds', 'How many seconds has the longest running processor for workqueue been running.', 'longestRunningSeconds');
    this.#leader = new Gauge({
      name: 'leader_election_master_status',
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      labelNames: ['name'],
      registers,
    });
  }

  controller(name: string): ControllerMetrics {
    const controller = { controller: name };
    // Start every series at 0, as controller-runtime does, so rate() works from the first scrape.
    for (const result of OUTCOMES) this.#reconcileTotal.inc({ controller: name, result }, 0);
    this.#reconcileErrors.inc(controller, 0);
    this.#terminalErrors.inc(controller, 0);
    this.#activeWorkers.set(controller, 0);
    return {
      reconciled: (outcome, seconds) => {
        this.#reconcileTotal.inc({ controller: name, result: outcome });
        this.#reconcileTime.observe(controller, seconds);
      },
      failed: (terminal) => {
        this.#reconcileErrors.inc(controller);
        if (terminal) this.#terminalErrors.inc(controller);
      },
      maxWorkers: (n) => this.#maxConcurrent.set(controller, n),
      activeWorkers: (delta) => this.#activeWorkers.inc(controller, delta),
    };
  }

  workqueue(name: string): WorkQueueMetrics {
    const labels = { name, controller: name };
    this.#adds.inc(labels, 0);
    this.#retries.inc(labels, 0);
    for (const priority of Object.values(PRIORITY_LABEL)) this.#depth.set({ ...labels, priority }, 0);
    return {
      added: () => this.#adds.inc(labels),
      depth: (priority, items) => this.#depth.set({ ...labels, priority: PRIORITY_LABEL[priority] }, items),
      queueDuration: (s) => this.#queueDuration.observe(labels, s),
      workDuration: (s) => this.#workDuration.observe(labels, s),
      retried: () => this.#retries.inc(labels),
      trackInflight: (probe) => this.#inflight.set(name, probe),
    };
  }

  leaderElection(leaseName: string): LeaderElectionMetrics {
    return { leading: (isLeader) => this.#leader.set({ name: leaseName }, isLeader ? 1 : 0) };
  }
}

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { FailureReason } from '../api/reasons.ts';
import { phases, recoveryActions, type Phase, type RecoveryAction } from '../api/status.ts';

// One registry for the process: Node's process metrics, the controller runtime's
// metrics (registered by src/runtime on `metrics.registry` under
// controller-runtime's names) and the operator's own domain metrics below.
// Label values are closed sets (phases, reasons, actions, verbs, resources), so
// cardinality stays flat however many Agents there are.

/** What one reconcile ended in. */
export const reconcileOutcomes = ['applied', 'unchanged', 'held', 'unmanaged', 'deleted', 'error'] as const;
export type ReconcileOutcome = (typeof reconcileOutcomes)[number];

/** Kubernetes audit verbs, so counts line up with RBAC and the apiserver audit log. */
export const apiVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
export type ApiVerb = (typeof apiVerbs)[number];

/** The usage warnings (src/status/usage-conditions.ts): closed set, so the label stays flat. */
export const usageWarnings = ['MemoryNearLimit', 'CPUThrottled'] as const;
export type UsageWarning = (typeof usageWarnings)[number];

export interface ApiRequestLabels {
  verb: ApiVerb;
  /** Plural resource, with `/subresource` when there is one: `deployments`, `agents/status`. */
  resource: string;
  /** HTTP status code, or `error` when no response came back. */
  code: string;
}

export interface LabelledCounter<L> {
  inc(labels: L, value?: number): void;
}

export interface Metrics {
  readonly registry: Registry;
  /** `agent_operator_agents{phase}`: one Agent counts under the phase last recorded for it. */
  readonly agents: {
    /** Records (or, with undefined, forgets) the phase of the Agent `namespace/name`. */
    set(key: string, phase: Phase | undefined): void;
  };
  readonly reconcileOutcomes: LabelledCounter<{ outcome: ReconcileOutcome }>;
  readonly failures: LabelledCounter<{ reason: FailureReason }>;
  readonly remediations: LabelledCounter<{ action: RecoveryAction }>;
  /** Usage warnings raised (a MemoryNearLimit or CPUThrottled condition going True). */
  readonly usageWarnings: LabelledCounter<{ reason: UsageWarning }>;
  readonly apiRequests: LabelledCounter<ApiRequestLabels>;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** How often the event-loop lag is sampled (nodejs_eventloop_lag_*). */
export const eventLoopSampleMs = 1000;

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  // The event-loop lag histogram samples once a second, not every 10 ms (prom-client's
  // default): that timer alone cost ~0.3 s of CPU per idle minute, measured
  // with nothing else running (a late tick still records the whole stall).
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: eventLoopSampleMs });

  const agents = new Gauge({
    name: 'agent_operator_agents',
    help: 'Agents by phase.',
    labelNames: ['phase'] as const,
    registers: [registry],
  });
  const counter = <L extends string>(name: string, labelNames: readonly L[], help: string) => new Counter<L>({ name, help, labelNames, registers: [registry] });
  const outcomes = counter('agent_operator_reconcile_outcomes_total', ['outcome'],
    'Reconciles by outcome: applied (wrote objects), unchanged (nothing to write), held (the rollout waits for a dependency, a missing reference, a valid spec or a pod the pod policy allows), unmanaged, deleted, error.');
  const failures = counter('agent_operator_failures_total', ['reason'], 'Agent failures detected, by reason (OOMKilled, CrashLoopBackOff, ...).');
  const remediations = counter('agent_operator_remediations_total', ['action'], 'Remediations carried out, by action.');
  const warnings = counter('agent_operator_usage_warnings_total', ['reason'],
    'Usage warnings raised from the kubelet\'s cAdvisor metrics (--node-metrics), by reason: MemoryNearLimit (working set near the memory limit), CPUThrottled (throttled by the CPU limit).');
  const apiRequests = counter('agent_operator_api_requests_total', ['verb', 'resource', 'code'],
    'Requests the operator made to the Kubernetes API, by verb, resource and HTTP status code.');

  // Zero-valued series exist from the start, so dashboards and rate() see them before the first event.
  for (const phase of phases) agents.set({ phase }, 0);
  for (const outcome of reconcileOutcomes) outcomes.inc({ outcome }, 0);
  for (const action of recoveryActions) remediations.inc({ action }, 0);
  for (const reason of usageWarnings) warnings.inc({ reason }, 0);

  const phaseOf = new Map<string, Phase>();
  return {
    registry,
    agents: {
      set(key, phase) {
        const before = phaseOf.get(key);
        if (before === phase) return;
        if (before !== undefined) agents.dec({ phase: before });
        if (phase === undefined) phaseOf.delete(key);
        else {
          phaseOf.set(key, phase);
          agents.inc({ phase });
        }
      },
    },
    reconcileOutcomes: outcomes,
    failures,
    remediations,
    usageWarnings: warnings,
    apiRequests,
  };
}

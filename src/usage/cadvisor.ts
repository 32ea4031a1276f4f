import type { UsageSample } from './assess.ts';

// The kubelet's cAdvisor metrics (GET /metrics/cadvisor, Prometheus text) ->
// one reading per container of the pods asked about. Pure. Only three series
// matter, all cAdvisor's own names, so a reader can check a figure against
// the kubelet with the same query:
// - container_memory_working_set_bytes: what the OOM killer weighs against the
//   limit (usage minus inactive file cache), the figure kubectl top shows;
// - container_cpu_cfs_periods_total / container_cpu_cfs_throttled_periods_total:
//   CFS periods the container was runnable in, and those it hit its quota in
//   (both exist only for a container with a CPU limit).

export interface ContainerRef { namespace: string; pod: string; container: string }

/** `at`: when cAdvisor collected the figures (ms), the latest of the series' timestamps, when the exposition has them. */
export interface ContainerReading extends ContainerRef, Partial<UsageSample> {}

const families = {
  container_memory_working_set_bytes: 'workingSetBytes',
  container_cpu_cfs_periods_total: 'cfsPeriods',
  container_cpu_cfs_throttled_periods_total: 'cfsThrottledPeriods',
} as const;

type Family = keyof typeof families;

/**
 * Readings for the containers `identify` names. Which container a series is
 * can be said two ways: by its namespace, pod and container labels when the
 * kubelet's cAdvisor knows the runtime's containers, or only by its cgroup
 * (`id`) when it does not (seen on the real node: containerd 1.6, cgroup v1,
 * the cgroupfs driver, where only the pod's cgroup gets labels); identify
 * gets both. A series it does not name (the pod's own cgroup, the pause
 * container, another tool's pods) is skipped; a line that does not parse is
 * skipped, not fatal (the exposition grows new series between releases).
 */
export function parseCadvisor(text: string, identify: (series: ContainerRef & { id: string }) => ContainerRef | undefined): ContainerReading[] {
  const out = new Map<string, ContainerReading>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    if (brace < 0) continue;
    const name = line.slice(0, brace);
    if (!Object.hasOwn(families, name)) continue;
    const close = line.lastIndexOf('}');
    if (close < brace) continue;
    const labels = parseLabels(line.slice(brace + 1, close));
    const ref = identify({ namespace: labels['namespace'] ?? '', pod: labels['pod'] ?? '', container: labels['container'] ?? '', id: labels['id'] ?? '' });
    if (!ref) continue;
    const [text, stamp] = line.slice(close + 1).trim().split(/\s+/);
    const value = Number(text);
    if (!Number.isFinite(value)) continue;
    const key = `${ref.namespace}/${ref.pod}/${ref.container}`;
    const r = out.get(key) ?? { ...ref };
    r[families[name as Family]] = value;
    const at = Number(stamp);
    if (stamp !== undefined && Number.isFinite(at)) r.at = Math.max(r.at ?? 0, at);
    out.set(key, r);
  }
  return [...out.values()];
}

/**
 * The container a cgroup path belongs to, by the runtime's container id at
 * its end: `/kubepods/burstable/pod<uid>/<id>` (cgroupfs) or
 * `.../cri-containerd-<id>.scope` (systemd).
 */
export function containerIdOfCgroup(id: string): string | undefined {
  return /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$/.exec(id)?.[1];
}

/** `a="x",b="y \"q\""` -> { a: 'x', b: 'y "q"' } (Prometheus text format escapes). */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(re)) out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

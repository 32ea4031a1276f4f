// Command line of bench/detection.ts. Pure: argv in, options or an error out.

export interface BenchOptions {
  agents: number;
  samples: number;
  createConcurrency: number;
  sampleConcurrency: number;
  /** Whole run, seconds (the bench stops and reports what it has). */
  timeoutSeconds: number;
  /** Convergence phase, seconds. */
  convergeTimeoutSeconds: number;
  sampleTimeoutSeconds: number;
  /** Operator WORKERS; undefined: the operator's default. */
  workers: number | undefined;
  /** kwok nodes; undefined: enough for the pods. */
  nodes: number | undefined;
  /** Write the operator's V8 CPU profile here. */
  cpuProfDir: string | undefined;
  /** Write the once-a-second metrics time series here (CSV). */
  seriesFile: string | undefined;
  /** Restart the operator at the end and measure the fresh process. */
  restart: boolean;
  /** Keep the work folder (operator log) instead of deleting it. */
  keep: boolean;
  help: boolean;
}

export const usage = `usage: node bench/detection.ts [options]     (make bench)

Starts a local control plane (or uses BENCH_KUBECONFIG), the operator, N Agents;
measures convergence, detection latency, the operator's memory and API writes.

  --agents N               Agents to create (default 1000)
  --samples M              pods to OOM-kill, one per Agent (default 200)
  --create-concurrency C   Agent creates in flight (default 16)
  --sample-concurrency S   samples in flight (default 1: one after another)
  --timeout S              whole run, seconds (default 1800)
  --converge-timeout S     wait for all Agents Ready, seconds (default 900)
  --sample-timeout S       per sample, seconds (default 30)
  --workers W              operator WORKERS (default: the operator's, 2)
  --nodes K                kwok nodes (default: 110 pods each, 10 % spare)
  --cpu-prof DIR           write the operator's V8 CPU profile into DIR
  --series FILE            write the operator's metrics, once a second, as CSV
  --no-restart             skip the last phase (operator restarted with every Agent converged)
  --keep                   keep the work folder (operator log)
Environment: BENCH_KUBECONFIG=path uses that cluster instead of starting one.`;

const defaults: BenchOptions = {
  agents: 1000, samples: 200, createConcurrency: 16, sampleConcurrency: 1,
  timeoutSeconds: 1800, convergeTimeoutSeconds: 900, sampleTimeoutSeconds: 30,
  workers: undefined, nodes: undefined, cpuProfDir: undefined, seriesFile: undefined, restart: true, keep: false, help: false,
};

const numeric: Record<string, [keyof BenchOptions, number, number]> = {
  '--agents': ['agents', 1, 20000],
  '--samples': ['samples', 0, 20000],
  '--create-concurrency': ['createConcurrency', 1, 256],
  '--sample-concurrency': ['sampleConcurrency', 1, 64],
  '--timeout': ['timeoutSeconds', 10, 86400],
  '--converge-timeout': ['convergeTimeoutSeconds', 10, 86400],
  '--sample-timeout': ['sampleTimeoutSeconds', 1, 3600],
  '--workers': ['workers', 1, 64],
  '--nodes': ['nodes', 1, 200],
};

/**
 * Walks argv as flags, `--flag value` and `--flag=value` alike, for every
 * bench command: `value()` takes the flag's value or throws naming the flag.
 */
export function forEachFlag(argv: readonly string[], visit: (flag: string, value: () => string, arg: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    visit(flag, () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    }, arg);
  }
}

/** A flag's whole-number value within [min, max], or an error naming the flag. */
export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...defaults };
  forEachFlag(argv, (flag, value, arg) => {
    if (flag === '--help' || flag === '-h') o.help = true;
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--no-restart') o.restart = false;
    else if (flag === '--cpu-prof') o.cpuProfDir = value();
    else if (flag === '--series') o.seriesFile = value();
    else if (numeric[flag]) {
      const [key, min, max] = numeric[flag];
      (o as unknown as Record<string, number>)[key] = wholeNumber(flag, value(), min, max);
    } else throw new Error(`unknown argument ${arg}`);
  });
  if (o.samples > o.agents) o.samples = o.agents;
  return o;
}

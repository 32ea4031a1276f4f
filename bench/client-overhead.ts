// What one API request costs the operator's process, its way and with a kept-
// alive connection: node bench/client-overhead.ts --kubeconfig PATH [--mode operator|keepalive]
// [--requests N] [--concurrency C]. It server-side applies one ConfigMap N
// times (a write like the operator's status and Deployment applies) and
// prints latency percentiles, CPU time and RSS growth of this process. Run
// each mode in its own process so RSS figures do not mix.
//   operator:  src/kube/client.ts as the operator uses it (node:https, one
//              kept-alive pool: src/runtime/connection-pool.ts)
//   keepalive: the bench's own small node:https client (bench/lib/kube.ts)
// (The `shared` mode, client-node's undici fetch with one dispatcher reused
// by hand, went with undici: the operator's transport is node:https since
// issue 13's memory work.)
import { loadKubeConfig, createKubeClient } from '../src/kube/client.ts';
import { parseCommand, usageOf } from './lib/args.ts';
import { clientOverheadCommand, type ClientOverheadOptions } from './lib/commands.ts';
import { Kube } from './lib/kube.ts';
import { pool } from './lib/converge.ts';
import { summarize } from './lib/stats.ts';

let options: ClientOverheadOptions;
try {
  options = parseCommand(clientOverheadCommand, process.argv.slice(2));
} catch (err) {
  process.stderr.write(`client-overhead: ${(err as Error).message}\n\n${usageOf(clientOverheadCommand)}\n`);
  process.exit(2);
}
const kubeconfig = options.kubeconfig || process.env['BENCH_KUBECONFIG'] || '';
if (options.help || !kubeconfig) {
  (options.help ? process.stdout : process.stderr).write(`${usageOf(clientOverheadCommand)}\n`);
  process.exit(options.help ? 0 : 2);
}
const { mode, requests, concurrency, namespace: ns } = options;
const names = Array.from({ length: concurrency }, (_, i) => `client-overhead-${mode}-${i}`);

type Send = (name: string, n: number) => Promise<unknown>;
const body = (name: string, n: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { n: String(n) } });
const path = (name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`;
const query = { fieldManager: 'client-overhead', force: true };

let send: Send;
if (mode === 'operator') {
  const client = createKubeClient({ kubeConfig: loadKubeConfig(kubeconfig) });
  send = (name, n) => client.request({ method: 'PATCH', path: path(name), query, body: body(name, n), contentType: 'application/apply-patch+yaml' });
} else {
  const kube = await Kube.connect(kubeconfig, concurrency);
  send = (name, n) => kube.request('PATCH', path(name), { query, body: body(name, n), contentType: 'application/apply-patch+yaml' });
}

for (const name of names) await send(name, 0); // create them, warm up
const rss0 = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const latencies: number[] = [];
const start = performance.now();
let n = 0;
await pool(Array.from({ length: requests }, (_, i) => i), concurrency, async (i) => {
  const t = performance.now();
  await send(names[i % concurrency]!, ++n);
  latencies.push(performance.now() - t);
});
const wall = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const s = summarize(latencies);
const result = {
  mode, requests, concurrency,
  requestsPerSecond: requests / wall,
  latencyMs: { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max, mean: s.mean },
  cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / requests,
  rssGrowthMiB: (process.memoryUsage().rss - rss0) / 1024 / 1024,
  rssMiB: process.memoryUsage().rss / 1024 / 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
const cleanup = await Kube.connect(kubeconfig);
for (const name of names) await cleanup.request('DELETE', path(name)).catch(() => {});
process.exit(0);

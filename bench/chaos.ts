// make chaos: the seed's headline measured. A fleet of agents in each arm
// (plain Deployments; the operator with its defaults; the operator with its
// fastest safe settings), one seeded schedule of faults played against every
// arm at once, health measured from watches on pods and Deployments; then a table, CSV
// files and PNG plots (hack/tools/chaosplot). docs/chaos.md has the classes,
// the default mix and how each figure is computed.
// Usage: node bench/chaos.ts --help
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { chaosCommand, type ChaosOptions } from './chaos/args.ts';
import { runChaos } from './chaos/run.ts';
import { planProblems } from './chaos/plan.ts';
import { bucketRates } from './chaos/attribution.ts';
import { formatTable, invariantViolations, writeCsv } from './chaos/report.ts';
import { runCommand } from './lib/cleanup.ts';
import { hackOutput, nodesFor, repoRoot } from './lib/cluster.ts';
import { benchCluster, workFolder } from './lib/setup.ts';
import { imageRefs } from '../test/support/real-node.ts';

const origin = performance.now();
const log = (msg: string) => process.stderr.write(`[chaos ${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

async function main(o: ChaosOptions): Promise<number> {
  // before any setup (a cluster with 25+ nodes, a real node, 300 Agents take minutes): options that cannot run fail now
  const problems = planProblems(o, { externalCluster: Boolean(process.env['BENCH_KUBECONFIG']), root: process.getuid?.() === 0 });
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`chaos: ${p}\n`);
    process.stderr.write('(node bench/chaos.ts --help lists the options)\n');
    return 2;
  }
  const work = workFolder('agent-operator-chaos-', o.keep);
  // node-loss: 4 agents of each arm per kwok node (agent i prefers node i mod N in every arm), so a lost node
  // takes a few agents, not a sixth of the fleet; not more nodes, whose heartbeats a loaded machine would delay
  const losesNodes = o.mix['node-loss'] > 0;
  const nodes = Math.max(nodesFor(o.agents * o.arms.length * 2), losesNodes ? Math.min(200, Math.ceil(o.agents / 4)) : 0);
  const claims = o.storageEvery > 0 ? Math.ceil(o.agents / o.storageEvery) * o.arms.length : 0;
  const { cluster } = await benchCluster({
    work, nodes, log, allowExternal: true, realNode: o.realNode > 0, nodeLifecycle: losesNodes,
    // the PV pool the claims bind to (kwok nodes mount nothing: no provisioner)
    ...(claims > 0 ? { addons: join(repoRoot, 'hack/cluster-addons') } : {}),
  });
  const kubeconfig = cluster.kubeconfig;
  if (cluster.dir) o.auditLog ??= join(cluster.dir, 'audit', 'audit.log');
  // The test agent's image as hack/build-images built it: what hack/cluster --real-node loads into the node.
  const real = o.realNode > 0 ? { image: imageRefs([await hackOutput('build-images', ['--print'])])['AGENT'] ?? '' } : undefined;
  if (real && !real.image) throw new Error('--real-node: hack/build-images --print names no AGENT_IMAGE');
  const load = loadavg()[0] ?? 0;
  const r = await runChaos(kubeconfig, o, work, log, real, cluster.dir);
  const machine = `${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, load ${load.toFixed(1)} at the start`;
  process.stdout.write(`\nmake chaos ${new Date().toISOString()} (${machine}); ${o.agents} agents per arm${o.realNode ? ` + ${o.realNode} on the real node` : ''}, seed ${o.seed}, ${o.minutes} min of faults at ${o.faultsPerMinute}/min\n`);
  process.stdout.write(formatTable(r));
  const out = resolve(o.out);
  const files = writeCsv(out, r);
  log(`wrote ${files.join(', ')}`);
  if (o.plots) {
    const plot = spawnSync('go', ['run', '.', '--in', out, '--out', out], { cwd: join(repoRoot, 'hack/tools/chaosplot'), stdio: ['ignore', 'inherit', 'inherit'] });
    if (plot.status !== 0) log(`the plots failed (go run hack/tools/chaosplot exited ${plot.status}); the CSV files are complete`);
    else for (const f of ['abnormal-over-time.png', 'mttr-by-class.png']) if (existsSync(join(out, f))) log(`wrote ${join(out, f)}`);
  }
  const broken = invariantViolations(r);
  for (const b of broken) log(`INVARIANT: ${b}`);
  process.stdout.write(`${JSON.stringify({ invariants: broken, unplannedNodeLoss: r.unplannedNodeLoss, arms: r.arms.map((a) => ({ arm: a.figures.arm, abnormalRate: a.figures.abnormalRate, needsHumanShare: a.figures.needsHumanShare, oomKills: a.oomKills, realNode: a.realNode && { abnormalRate: a.realNode.figures.abnormalRate, needsHumanShare: a.realNode.figures.needsHumanShare, oomKills: a.realNode.oomKills, classes: a.realNode.figures.classes, abnormalByClass: bucketRates(a.realNode.figures.attribution) }, steps: a.steps, podDeletes: a.podDeletes, hiddenRestarts: a.hiddenRestarts, claims: a.claims, lostClaims: a.lostClaims, writes: a.writes, operator: a.operator, classes: a.figures.classes, abnormalByClass: bucketRates(a.figures.attribution) })) })}\n`);
  return broken.length ? 1 : 0;
}

await runCommand({ name: 'chaos', command: chaosCommand, main, log });

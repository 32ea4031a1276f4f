import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCommand } from '../../../bench/lib/args.ts';
import { chaosCommand } from '../../../bench/chaos/args.ts';
import { planProblems, schedules, type Environment } from '../../../bench/chaos/plan.ts';
import { defaultMix, faultClasses } from '../../../bench/chaos/schedule.ts';

const own: Environment = { externalCluster: false, root: true };
const problems = (argv: string[], env: Environment = own) => planProblems(parseCommand(chaosCommand, argv), env);
/** The e2e's short run (test/e2e/chaos.test.ts), which must keep passing the check. */
const e2eShort = ['--agents', '10', '--minutes', '0.5', '--rate', '18', '--arms', 'plain,fast', '--seed', '7', '--warmup', '25', '--human-after', '60', '--cause', '15', '--settle', '15', '--mix', 'node-loss=0', '--storage-every', '5'];

describe('make chaos: the options are checked before the fleet is created', () => {
  const runs: { name: string; argv: string[]; env?: Environment }[] = [
    { name: 'the default run', argv: [] },
    { name: 'the full-size run with the real node', argv: ['--real-node', '6'] },
    { name: "the e2e's short run on the shared cluster", argv: e2eShort, env: { externalCluster: true, root: true } },
    // README "The OOM class alone" (node-loss=0 added: the class came after it): a short warm-up, as a raise needs no rollback target
    { name: 'the OOM class alone on the real node', argv: ['--agents', '2', '--rate', '0.5', '--mix', 'oom=1,bad-release=0,bad-config=0,strict-probe=0,secret-missing=0,late-dependency=0,transient-crash=0,operator-kill=0,leader-failover=0,node-loss=0', '--real-node', '4', '--real-node-mix', 'oom=1,memory-growth=0,bad-release=0,bad-config=0', '--minutes', '2', '--human-after', '60', '--settle', '20', '--warmup', '30'] },
    { name: 'a smaller run (docs/chaos.md)', argv: ['--agents', '30', '--minutes', '4'] },
    { name: 'a smaller run with the real node (docs/chaos.md)', argv: ['--agents', '30', '--minutes', '5', '--real-node', '6'] },
    { name: 'plain Deployments alone need no warm-up for a rollback target', argv: ['--arms', 'plain', '--warmup', '0'] },
  ];
  for (const r of runs) it(`accepts ${r.name}`, () => assert.deepEqual(problems(r.argv, r.env), []));

  const refused: { name: string; argv: string[]; env?: Environment; message: RegExp }[] = [
    {
      name: 'a mix with more classes than the run draws faults',
      argv: ['--minutes', '1'], message: /--minutes 1 at --rate 3 draws 3 fault\(s\) for the 10 classes of --mix .*raise --minutes to 3\.5 or more, raise --rate, or leave classes out with --mix class=0/,
    },
    { name: 'a mix with every kwok weight 0', argv: ['--mix', faultClasses.filter((c) => defaultMix[c] > 0).map((c) => `${c}=0`).join(',')], message: /--mix: every kwok weight is 0; give at least one class a weight above 0/ },
    { name: 'real-node classes weighed without --real-node', argv: ['--real-node-mix', 'memory-growth=5'], message: /--real-node-mix weighs the real node's classes, but --real-node is 0: add --real-node N/ },
    { name: 'the real node without root', argv: ['--real-node', '6'], env: { externalCluster: false, root: false }, message: /--real-node 6: the real node needs root.*or use --real-node 0/ },
    { name: 'too few real-node agents for one fault of each of its classes', argv: ['--real-node', '1', '--minutes', '1'], message: /--real-node 1: too few real-node agents for one fault of each of its 4 classes in the fault phase; raise --real-node or --minutes/ },
    { name: 'a warm-up shorter than the defaults arm takes to record a rollback target', argv: ['--warmup', '30'], message: /--warmup 30: the defaults arm records a revision as healthy \(its rollback target\) 65 s after it is ready .*use --warmup 75 or more, or leave the arm out with --arms/ },
    { name: 'a warm-up shorter than the fast arm takes to record a rollback target', argv: ['--warmup', '10', '--arms', 'plain,fast'], message: /--warmup 10: the fast arm .* 20 s after it is ready/ },
    {
      name: 'a warm-up too short for a rollback on the real node, though the kwok mix needs none',
      argv: ['--agents', '2', '--rate', '0.5', '--mix', 'oom=1,bad-release=0,bad-config=0,strict-probe=0,secret-missing=0,late-dependency=0,transient-crash=0,operator-kill=0,leader-failover=0,node-loss=0', '--real-node', '4', '--real-node-mix', 'oom=0,memory-growth=0,bad-release=1,bad-config=0', '--minutes', '2', '--warmup', '30'],
      message: /--warmup 30: the defaults arm .* first faults of bad-release would find nothing to roll back to/,
    },
    { name: "a person who reverts before the killed operator's successor leads", argv: ['--human-after', '10'], message: /--human-after 10: operator-kill, leader-failover .* 15 s lease.*use --human-after 60 or more, or --mix operator-kill=0,leader-failover=0/ },
    { name: 'node loss on a cluster that is not the bench\'s own', argv: [], env: { externalCluster: true, root: true }, message: /--mix node-loss stops kwok nodes.*unset BENCH_KUBECONFIG, or leave the class out with --mix node-loss=0/ },
    { name: 'a lost node back before it is seen lost', argv: ['--node-down', '10'], message: /--node-down 10: a node is marked lost 16 s after its last heartbeat.*use --node-down 360/ },
    { name: 'more volumes than the local control plane has', argv: ['--storage-every', '1', '--agents', '30'], message: /--storage-every 1: 90 PVCs \(30 per arm × 3 arms\), the local control plane has 60 PersistentVolumes.*raise --storage-every to 2 or more, or 0 for none/ },
    { name: 'more faults at once than the agents can carry', argv: ['--agents', '2', '--mix', 'node-loss=0', '--rate', '10', '--minutes', '1'], message: /no agent free for fault \d+ at \d+ s: raise --agents or lower the fault rate/ },
  ];
  for (const r of refused) {
    it(`refuses ${r.name}, naming the option and the fix`, () => {
      const got = problems(r.argv, r.env);
      assert.ok(got.some((p) => r.message.test(p)), `expected ${r.message}, got:\n${got.join('\n')}`);
    });
  }

  it('reports every problem at once, not one per attempt', () => {
    assert.equal(problems(['--minutes', '1', '--warmup', '10', '--node-down', '5']).length >= 4, true);
  });

  it('refuses unknown and real-node-only classes on the command line itself', () => {
    assert.throws(() => parseCommand(chaosCommand, ['--mix', 'disk-full=3']), /--mix: unknown class disk-full; choose from oom, /);
    assert.throws(() => parseCommand(chaosCommand, ['--mix', 'memory-growth=5']), /--mix: memory-growth is played on the real node only .*--real-node N --real-node-mix memory-growth=W/);
    assert.throws(() => parseCommand(chaosCommand, ['--real-node-mix', 'transient-crash=1']), /--real-node-mix: transient-crash is not played on the real node; choose from oom, bad-release, bad-config, memory-growth/);
  });

  it('bench/chaos.ts stops on them before any setup: exit 2 in seconds, every problem named', () => {
    // BENCH_KUBECONFIG names no file: a bench that went past the check would fail to connect (exit 1), not build a cluster
    const repo = join(import.meta.dirname, '../../..');
    const r = spawnSync(process.execPath, [join(repo, 'bench/chaos.ts'), '--minutes', '1', '--no-plots'], {
      cwd: repo, env: { ...process.env, BENCH_KUBECONFIG: '/nonexistent/kubeconfig' }, encoding: 'utf8', timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /chaos: --minutes 1 at --rate 3 draws 3 fault\(s\)/);
    assert.match(r.stderr, /chaos: --mix node-loss stops kwok nodes/);
  });

  it('plays the schedules it checked: every class of the mix in each', () => {
    const s = schedules(parseCommand(chaosCommand, ['--real-node', '6']));
    assert.deepEqual(new Set(s.kwok.map((f) => f.class)), new Set(faultClasses.filter((c) => defaultMix[c] > 0)));
    assert.deepEqual(new Set(s.real.map((f) => f.class)), new Set(['oom', 'bad-release', 'bad-config', 'memory-growth']));
    assert.equal(s.kwok.length, 30);
  });
});

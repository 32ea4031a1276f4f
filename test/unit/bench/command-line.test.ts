import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { choice, decimal, parseCommand, text, toggle, usageOf, whole, type Command } from '../../../bench/lib/args.ts';
import { chaosCommand } from '../../../bench/chaos/args.ts';
import { clientOverheadCommand, compareCommand, detectionCommand, modesCommand, nodeLossCommand, shardsCommand } from '../../../bench/lib/commands.ts';
import { shippedArgs } from '../../../bench/lib/operator.ts';

interface Demo { count: number; ratio: number; dir: string | undefined; kind: 'a' | 'b' | undefined; keep: boolean; help: boolean }

const demo: Command<Demo> = {
  synopsis: 'usage: demo [options]',
  about: 'What it does.',
  flags: {
    '--count': whole('count', 1, 10, 'N', 'how many (default 3)'),
    '--ratio': decimal('ratio', 0.5, 2, 'R', 'a fraction\nover two lines'),
    '--dir': text('dir', 'DIR', 'where', (v) => `/abs/${v}`),
    '--kind': choice('kind', ['a', 'b'], 'KIND', 'a or b'),
    '--keep': toggle('keep', true, 'keep it'),
  },
  footer: 'Environment: none.',
  defaults: () => ({ count: 3, ratio: 1, dir: undefined, kind: undefined, keep: false, help: false }),
  finish: (o) => { if (o.kind === 'b' && o.count > 5) throw new Error('--kind b allows --count up to 5'); },
};
const defaults = demo.defaults();

describe('the bench command-line parser', () => {
  const accepted: [string, string[], Partial<Demo>][] = [
    ['nothing: the defaults', [], {}],
    ['--flag value', ['--count', '7'], { count: 7 }],
    ['--flag=value', ['--count=7'], { count: 7 }],
    ['the range bounds themselves', ['--count', '1', '--ratio', '2'], { count: 1, ratio: 2 }],
    ['a fraction where the flag takes one', ['--ratio=0.75'], { ratio: 0.75 }],
    ['a text value, mapped', ['--dir', 'out'], { dir: '/abs/out' }],
    ['one of the choices', ['--kind', 'b'], { kind: 'b' }],
    ['a switch', ['--keep'], { keep: true }],
    ['--help and -h alike', ['-h'], { help: true }],
    ['the last of a repeated flag', ['--count', '2', '--count', '4'], { count: 4 }],
    ['a value that looks like a flag, after a flag that takes one', ['--dir', '--keep'], { dir: '/abs/--keep' }],
  ];
  for (const [what, argv, want] of accepted) {
    it(`accepts ${what}: ${JSON.stringify(argv)}`, () => {
      assert.deepEqual(parseCommand(demo, argv), { ...defaults, ...want });
    });
  }

  const refused: [string, string[], RegExp][] = [
    ['an unknown flag, naming it', ['--cuont', '3'], /^unknown argument --cuont$/],
    ['a stray word', ['3'], /^unknown argument 3$/],
    ['a whole number out of range, naming flag, range and value', ['--count', '11'], /^--count must be a whole number from 1 to 10, got 11$/],
    ['a fraction where a whole number goes', ['--count', '2.5'], /^--count must be a whole number from 1 to 10, got 2.5$/],
    ['an exponent where a whole number goes', ['--count', '1e1'], /whole number/],
    ['a number out of range', ['--ratio=3'], /^--ratio must be a number from 0.5 to 2, got 3$/],
    ['an empty number', ['--ratio='], /^--ratio must be a number/],
    ['a value not among the choices, listing them', ['--kind', 'c'], /^--kind takes a or b, got c$/],
    ['a flag whose value is missing', ['--count'], /^--count needs a value$/],
    ['a value given to a switch', ['--keep=yes'], /^--keep takes no value, got --keep=yes$/],
    ['what the rule across flags forbids', ['--kind', 'b', '--count', '6'], /--kind b allows --count up to 5/],
  ];
  for (const [what, argv, error] of refused) {
    it(`refuses ${what}: ${JSON.stringify(argv)}`, () => {
      assert.throws(() => parseCommand(demo, argv), { message: error });
    });
  }

  it('gives every parse fresh defaults, so one parse never leaks into the next', () => {
    parseCommand(demo, ['--count', '9']);
    assert.equal(parseCommand(demo, []).count, 3);
  });

  it('writes --help from the same table: synopsis, paragraph, a flag a line with continuation lines aligned, footer', () => {
    assert.equal(usageOf(demo), [
      'usage: demo [options]',
      '',
      'What it does.',
      '',
      '  --count N                how many (default 3)',
      '  --ratio R                a fraction',
      '                           over two lines',
      '  --dir DIR                where',
      '  --kind KIND              a or b',
      '  --keep                   keep it',
      'Environment: none.',
    ].join('\n'));
  });
});

describe('each bench entry point', () => {
  const commands: [string, string, string[]][] = [
    ['bench/detection.ts', usageOf(detectionCommand), Object.keys(detectionCommand.flags)],
    ['bench/modes.ts', usageOf(modesCommand), Object.keys(modesCommand.flags)],
    ['bench/node-loss.ts', usageOf(nodeLossCommand), Object.keys(nodeLossCommand.flags)],
    ['bench/compare.ts', usageOf(compareCommand), Object.keys(compareCommand.flags)],
    ['bench/chaos.ts', usageOf(chaosCommand), Object.keys(chaosCommand.flags)],
    ['bench/client-overhead.ts', usageOf(clientOverheadCommand), Object.keys(clientOverheadCommand.flags)],
    ['bench/shards.ts', usageOf(shardsCommand), Object.keys(shardsCommand.flags)],
  ];
  for (const [file, help, flags] of commands) {
    it(`${file}: --help names the file and lists each of its own flags once, and nothing else's`, () => {
      assert.match(help.split('\n')[0]!, new RegExp(`^usage: node ${file.replace('.', '\\.')}`));
      assert.deepEqual([...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]), flags);
    });
  }

  it('keeps the option names users pass today (README, Makefile BENCH_ARGS)', () => {
    assert.deepEqual(Object.keys(detectionCommand.flags), ['--agents', '--samples', '--create-concurrency', '--sample-concurrency', '--timeout', '--converge-timeout', '--sample-timeout', '--workers', '--nodes', '--cpu-prof', '--series', '--no-restart', '--keep']);
    assert.deepEqual(Object.keys(modesCommand.flags), ['--nodes', '--replicas', '--samples', '--idle-seconds', '--timeout', '--sample-timeout', '--keep']);
    assert.deepEqual(Object.keys(nodeLossCommand.flags), ['--replicas', '--nodes', '--timeout', '--keep']);
    assert.deepEqual(Object.keys(compareCommand.flags), ['--agents', '--samples', '--rounds', '--only', '--idle-seconds', '--leader-elect', '--oom-action', '--cpu-prof', '--from', '--keep']);
    assert.deepEqual(Object.keys(chaosCommand.flags), ['--agents', '--real-node', '--minutes', '--seed', '--rate', '--mix', '--real-node-mix', '--arms', '--warmup', '--human-after', '--cause', '--node-down', '--storage-every', '--settle', '--out', '--audit-log', '--no-plots', '--keep']);
    assert.deepEqual(Object.keys(clientOverheadCommand.flags), ['--kubeconfig', '--mode', '--requests', '--concurrency', '--namespace']);
  });

  it('bench/compare.ts leaves the operator\'s OOM remedy on unless told --oom-action None', () => {
    assert.equal(parseCommand(compareCommand, []).oomAction, 'IncreaseMemory');
    assert.equal(parseCommand(compareCommand, ['--oom-action', 'None']).oomAction, 'None');
    assert.throws(() => parseCommand(compareCommand, ['--oom-action', 'Restart']), /--oom-action takes IncreaseMemory or None, got Restart/);
  });

  it('bench/compare.ts runs agent-operator as the image runs it unless told --from src', () => {
    assert.equal(parseCommand(compareCommand, []).from, 'dist');
    assert.equal(parseCommand(compareCommand, ['--from', 'src']).from, 'src');
    // The image's ENTRYPOINT after its node binary: the node flags and dist/main.js the bench runs.
    const args = shippedArgs();
    assert.equal(args.at(-1), 'dist/main.js');
    assert.deepEqual(shippedArgs('FROM x\nENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=2", "dist/main.js"]\n'), ['--max-semi-space-size=2', 'dist/main.js']);
    assert.throws(() => shippedArgs('ENTRYPOINT node dist/main.js\n'), /not the exec form/);
  });

  it('bench/shards.ts: --runs takes K shards and W workers per run, in order', () => {
    assert.deepEqual(parseCommand(shardsCommand, []).runs, [{ shards: 1, workers: undefined }, { shards: 2, workers: undefined }, { shards: 1, workers: 4 }]);
    assert.deepEqual(parseCommand(shardsCommand, ['--runs', '2:8, 1,3:1']).runs, [{ shards: 2, workers: 8 }, { shards: 1, workers: undefined }, { shards: 3, workers: 1 }]);
    assert.throws(() => parseCommand(shardsCommand, ['--runs=0,2']), /--runs takes K or K:W .*got 0,2/);
    assert.throws(() => parseCommand(shardsCommand, ['--runs=2:0']), /--runs takes K or K:W/);
  });

  it('bench/compare.ts: --only takes one operator, --cpu-prof an absolute folder, and never more samples than Agents', () => {
    const o = parseCommand(compareCommand, ['--only=baseline', '--cpu-prof', 'prof', '--agents', '10']);
    assert.equal(o.only, 'baseline');
    assert.ok(o.cpuProfDir?.startsWith('/') && o.cpuProfDir.endsWith('/prof'), o.cpuProfDir);
    assert.equal(o.samples, 10);
    assert.throws(() => parseCommand(compareCommand, ['--only', 'both']), /--only takes agent-operator or baseline, got both/);
  });

  it('bench/chaos.ts: --arms and --mix are checked against the arms and classes it knows', () => {
    const o = parseCommand(chaosCommand, ['--arms', 'fast,plain,fast', '--mix', 'oom=0', '--minutes=0.5']);
    assert.deepEqual(o.arms, ['fast', 'plain']);
    assert.equal(o.mix.oom, 0);
    assert.equal(o.minutes, 0.5);
    assert.throws(() => parseCommand(chaosCommand, ['--arms', 'slow']), /--arms: unknown arm slow; choose from plain, defaults, fast/);
    assert.throws(() => parseCommand(chaosCommand, ['--mix', 'oom=-1']), /--mix: oom needs a weight of 0 or more/);
    const d = parseCommand(chaosCommand, []);
    assert.deepEqual([d.mix['node-loss'], d.nodeDownSeconds, d.storageEvery], [5, 360, 10], 'node loss and volumes in the default fleet');
    assert.equal(parseCommand(chaosCommand, ['--mix', 'node-loss=0', '--storage-every', '0']).storageEvery, 0);
  });

  it('bench/client-overhead.ts: --mode is one of the three clients it measures', () => {
    assert.equal(parseCommand(clientOverheadCommand, ['--mode', 'keepalive']).mode, 'keepalive');
    assert.throws(() => parseCommand(clientOverheadCommand, ['--mode', 'fast']), /--mode takes operator or keepalive, got fast/);
  });
});

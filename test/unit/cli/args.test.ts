import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/cli/args.ts';
import { annotate } from '../../../src/cli/requests.ts';
import { healthy, rolledBack } from './fixtures.ts';

test('parseArgs splits the command, its name and flags from kubectl\'s global flags, which go back to kubectl', () => {
  assert.deepEqual(parseArgs(['-n', 'agents', 'status', 'summarizer', '-o', 'json', '--context=kind']),
    { help: false, command: 'status', name: 'summarizer', to: undefined, output: 'json', kubectlFlags: ['-n', 'agents', '--context=kind'] });
  assert.deepEqual(parseArgs(['rollback', 'summarizer', '--to', 'abc', '--namespace', 'x']),
    { help: false, command: 'rollback', name: 'summarizer', to: 'abc', output: 'text', kubectlFlags: ['--namespace', 'x'] });
const isHelp = (argv: string[]) => { const p = parseArgs(argv); return 'help' in p && p.help; };
  assert.equal(isHelp(['status']), false);
  for (const help of [[], ['--help'], ['-h'], ['status', '--help']]) assert.equal(isHelp(help), true, help.join(' '));
});

test('parseArgs refuses what it cannot run, saying what to type instead', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate": one of status, why, history, hold, resume, rollback/],
    [['why'], /why needs the Agent's name: kubectl agent why NAME/],
    [['status', 'a', '-o', 'yaml'], /--output yaml is not supported: use -o json/],
    [['hold', 'a', '--to', 'x'], /--to is a rollback flag/],
    [['status', 'a', 'b'], /unexpected arguments: b/],
    [['status', '-n'], /flag -n needs a value/],
  ];
  for (const [argv, want] of cases) {
    const p = parseArgs(argv);
    assert.ok('error' in p, argv.join(' '));
    assert.match(p.error, want);
  }
});

test('hold, resume and rollback become annotations, never spec or status, and rollback refuses what cannot run', () => {
  const now = new Date('2026-11-27T11:00:00.123Z');
  assert.deepEqual(annotate(healthy.agent, { kind: 'hold', by: 'alice' }, now),
    { ok: true, set: { 'agent-operator.dev/hold': 'by=alice at=2026-11-27T11:00:00Z' }, remove: [], summary: 'summarizer: remediation paused until `kubectl agent resume summarizer`' });
  const resume = annotate(rolledBack.agent, { kind: 'resume' }, now);
  assert.ok(resume.ok);
  assert.deepEqual([resume.set, resume.remove], [{ 'agent-operator.dev/resume': 'at=2026-11-27T11:00:00Z' }, ['agent-operator.dev/hold']]);
  const back = annotate(rolledBack.agent, { kind: 'rollback', to: '1f0e2d3c4' }, now);
  assert.ok(back.ok);
  assert.deepEqual(back.set, { 'agent-operator.dev/rollback': 'to=1f0e2d3c4 generation=5 at=2026-11-27T11:00:00Z' });
  // the default target is the last healthy revision; here it already runs
  assert.deepEqual(annotate(healthy.agent, { kind: 'rollback' }, now), { ok: false, error: 'summarizer already runs revision 6d5f8c9b7' });
  const none = { ...healthy.agent, status: { ...healthy.agent.status, lastHealthyRevision: undefined } };
  assert.match((annotate(none, { kind: 'rollback' }, now) as { error: string }).error, /no healthy revision to roll back to: name one with --to/);
});

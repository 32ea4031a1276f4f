import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { chaosCommand } from '../../../bench/chaos/args.ts';
import { parseCommand } from '../../../bench/lib/args.ts';
import { oomTerminations } from '../../../bench/chaos/health.ts';
import { oomKillsByClass, realNodeMix, realNodeSchedule, realRelease } from '../../../bench/chaos/real-node.ts';
import { faultClasses, releaseClasses, type Fault } from '../../../bench/chaos/schedule.ts';

const shape = { seed: 1, warmupSeconds: 75, faultSeconds: 300, humanAfterSeconds: 240, causeSeconds: 30, nodeDownSeconds: 360, settleSeconds: 60 };
const env = (cls: Parameters<typeof realRelease>[0]) => Object.fromEntries((realRelease(cls, 7).env ?? []).map((e) => [e.name, e.value]));

describe('the chaos run on the real node', () => {
  it('plays each real-node class with the test agent\'s own settings, and refuses the classes only kwok plays', () => {
    assert.deepEqual({ limit: realRelease('oom', 7).memoryLimitMi, alloc: env('oom')['AGENT_ALLOC_MIB'] }, { limit: 48, alloc: '80' });
    assert.deepEqual([env('memory-growth')['AGENT_ALLOC_MIB'], env('memory-growth')['AGENT_GROW_TO_MIB']], ['100', '140'], 'grows past the 128Mi limit');
    assert.equal(realRelease('memory-growth', 7).memoryLimitMi, undefined, 'the limit stays: the growth is the release');
    assert.equal(env('bad-release')['AGENT_EXIT_CODE'], '1');
    assert.equal(env('bad-config')['AGENT_READY'], 'broken-7');
    for (const cls of faultClasses.filter((c) => realNodeMix[c] > 0)) assert.ok(releaseClasses.has(cls), `${cls} ends by the person's revert`);
    assert.throws(() => realRelease('transient-crash', 1), /not played on the real node/);
  });

  it('schedules every real-node class on agents after the kwok ones, with ids after theirs, the same for the same seed', () => {
    const faults = realNodeSchedule({ ...shape, agents: 6, firstAgent: 30, firstId: 15 });
    assert.deepEqual(faults, realNodeSchedule({ ...shape, agents: 6, firstAgent: 30, firstId: 15 }));
    assert.deepEqual([...new Set(faults.map((f) => f.class))].sort(), faultClasses.filter((c) => realNodeMix[c] > 0).sort());
    assert.ok(faults.every((f) => f.agent >= 30 && f.agent < 36 && f.id >= 15), JSON.stringify(faults));
    assert.equal(new Set(faults.map((f) => f.id)).size, faults.length);
    assert.throws(() => realNodeSchedule({ ...shape, agents: 2, firstAgent: 0, firstId: 0 }), /too few real-node agents.*raise --real-node or --minutes/);
  });

  it('counts an OOM kill once, by the dead container, in its current or its last state', () => {
    const pod = (name: string, uid: string, statuses: object[]): V1Pod => ({ metadata: { name, uid, labels: { app: name.split('-x')[0]! } }, status: { containerStatuses: statuses } }) as V1Pod;
    const pods = [
      pod('agent-030-xa', 'u1', [{ name: 'agent', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', containerID: 'containerd://c1' } } }]),
      pod('agent-031-xb', 'u2', [{ name: 'agent', state: { terminated: { reason: 'OOMKilled', containerID: 'containerd://c2' } }, lastState: { terminated: { reason: 'OOMKilled', containerID: 'containerd://c0' } } }]),
      pod('agent-032-xc', 'u3', [{ name: 'agent', state: { running: {} }, lastState: { terminated: { reason: 'Error', exitCode: 1, containerID: 'containerd://c3' } } }]),
    ];
    assert.deepEqual(pods.map((p) => oomTerminations(p)), [['containerd://c1'], ['containerd://c2', 'containerd://c0'], []]);
  });

  it('puts each OOM kill on the release the agent ran: its latest fault begun before the kill', () => {
    const f = (id: number, cls: Fault['class'], agent: number, at: number): Fault => ({ id, class: cls, agent, at, endsAt: at + 240 });
    const faults = [f(0, 'memory-growth', 30, 100), f(1, 'oom', 30, 500), f(2, 'oom', 31, 100)];
    const kills = [{ agent: 30, t: 50 }, { agent: 30, t: 220 }, { agent: 30, t: 350 }, { agent: 30, t: 501 }, { agent: 31, t: 102 }];
    assert.deepEqual(Object.fromEntries(oomKillsByClass(kills, faults)), { 'none': 1, 'memory-growth': 2, 'oom': 2 });
  });

  it('takes --real-node as a count of agents per arm and keeps memory-growth off the kwok mix', () => {
    assert.equal(parseCommand(chaosCommand, []).realNode, 0);
    assert.equal(parseCommand(chaosCommand, ['--real-node', '6']).realNode, 6);
    assert.throws(() => parseCommand(chaosCommand, ['--real-node', '99']), /--real-node must be a number from 0 to 15/);
    assert.throws(() => parseCommand(chaosCommand, ['--mix', 'memory-growth=5']), /memory-growth is played on the real node only.*--real-node N/);
  });

  it('plays only the real-node classes --real-node-mix weighs, so one class can be measured alone', () => {
    const o = parseCommand(chaosCommand, ['--real-node', '3', '--real-node-mix', 'oom=1,memory-growth=0,bad-release=0,bad-config=0']);
    const faults = realNodeSchedule({ ...shape, agents: 3, firstAgent: 0, firstId: 0, mix: o.realNodeMix });
    assert.ok(faults.length >= 3, JSON.stringify(faults));
    assert.deepEqual([...new Set(faults.map((f) => f.class))], ['oom']);
    assert.deepEqual(parseCommand(chaosCommand, []).realNodeMix, realNodeMix, 'the default mix when not given');
    assert.deepEqual(parseCommand(chaosCommand, ['--real-node-mix', 'oom=3']).realNodeMix, { ...realNodeMix, oom: 3 }, 'unnamed classes keep their weight');
    assert.throws(() => parseCommand(chaosCommand, ['--real-node-mix', 'transient-crash=1']), /--real-node-mix: transient-crash is not played on the real node; choose from oom, bad-release, bad-config, memory-growth/);
    assert.throws(() => parseCommand(chaosCommand, ['--real-node-mix', 'oom=0,memory-growth=0,bad-release=0,bad-config=0']), /--real-node-mix: every weight is 0/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../../bench/lib/args.ts';
import { nodesFor } from '../../../bench/lib/cluster.ts';
import { detectionCommand, modesCommand, nodeLossCommand } from '../../../bench/lib/commands.ts';
import { oomKilledStatuses, spread } from '../../../bench/lib/latency.ts';

const parseArgs = (argv: string[]) => parseCommand(detectionCommand, argv);
const parseModesArgs = (argv: string[]) => parseCommand(modesCommand, argv);
const parseNodeLossArgs = (argv: string[]) => parseCommand(nodeLossCommand, argv);

describe('bench options', () => {
  it('defaults to 1000 Agents and 200 samples, one at a time', () => {
    const o = parseArgs([]);
    assert.equal(o.agents, 1000);
    assert.equal(o.samples, 200);
    assert.equal(o.sampleConcurrency, 1);
  });

  it('accepts --flag value and --flag=value', () => {
    const o = parseArgs(['--agents', '50', '--samples=10', '--cpu-prof', '/tmp/p']);
    assert.equal(o.agents, 50);
    assert.equal(o.samples, 10);
    assert.equal(o.cpuProfDir, '/tmp/p');
  });

  it('never samples more pods than there are Agents', () => {
    assert.equal(parseArgs(['--agents', '5']).samples, 5);
  });

  it('refuses unknown flags and numbers out of range', () => {
    assert.throws(() => parseArgs(['--agent', '5']), /unknown argument/);
    assert.throws(() => parseArgs(['--agents', '0']), /from 1 to/);
    assert.throws(() => parseArgs(['--agents', '1e3']), /whole number/);
  });
});

describe('bench sizing and sampling', () => {
  it('asks for enough 110-pod kwok nodes with 10 % spare, at least 3', () => {
    assert.equal(nodesFor(20), 3);
    assert.equal(nodesFor(1000), 10);
    assert.equal(nodesFor(5000), 50);
  });

  it('spreads samples evenly over the Agents, deterministically', () => {
    assert.deepEqual(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5), [0, 2, 4, 6, 8]);
    assert.deepEqual(spread([1, 2], 5), [1, 2]);
  });
});

describe('the OOM kill the bench writes', () => {
  const pod = {
    metadata: { name: 'bench-00001-abc', uid: 'u1' },
    status: { containerStatuses: [{ name: 'agent', image: 'i', containerID: 'containerd://old', ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] },
  };

  it('is what a kubelet writes after a first OOM kill: restarted, ready, restartCount +1, lastState OOMKilled 137', () => {
    const [cs] = oomKilledStatuses(pod, Date.parse('2026-01-01T00:01:00.600Z'));
    assert.equal(cs?.restartCount, 1);
    assert.equal(cs?.ready, true);
    assert.deepEqual(cs?.state, { running: { startedAt: '2026-01-01T00:01:00Z' } });
    assert.deepEqual(cs?.lastState, {
      terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z', containerID: 'containerd://old' },
    });
    assert.notEqual(cs?.containerID, 'containerd://old');
  });
});

describe('bench-modes options', () => {
  it('defaults to a DaemonSet on 200 nodes and a 10-replica StatefulSet, 20 samples each, a minute idle', () => {
    const o = parseModesArgs([]);
    assert.deepEqual([o.nodes, o.replicas, o.samples, o.idleSeconds], [200, 10, 20, 60]);
  });

  it('takes each size as --flag value or --flag=value', () => {
    const o = parseModesArgs(['--nodes', '50', '--replicas=3', '--samples', '5', '--idle-seconds=0', '--keep']);
    assert.deepEqual([o.nodes, o.replicas, o.samples, o.idleSeconds, o.keep], [50, 3, 5, 0, true]);
  });

  it('refuses more nodes than hack/cluster registers, and unknown flags, naming the flag', () => {
    assert.throws(() => parseModesArgs(['--nodes', '201']), /--nodes must be a whole number from 1 to 200, got 201/);
    assert.throws(() => parseModesArgs(['--agents', '5']), /unknown argument --agents/);
  });
});

describe('bench-node-loss options', () => {
  it('defaults to 2 replicas of each workload on 3 nodes, 900 s in all (the plain Deployment waits 300 s)', () => {
    const o = parseNodeLossArgs([]);
    assert.deepEqual([o.replicas, o.nodes, o.timeoutSeconds, o.keep], [2, 3, 900, false]);
  });

  it('takes --flag value or --flag=value', () => {
    const o = parseNodeLossArgs(['--replicas', '4', '--nodes=2', '--timeout', '600', '--keep']);
    assert.deepEqual([o.replicas, o.nodes, o.timeoutSeconds, o.keep], [4, 2, 600, true]);
  });

  it('refuses a single node (nowhere to fail over to) and unknown flags, naming the flag', () => {
    assert.throws(() => parseNodeLossArgs(['--nodes', '1']), /--nodes must be a whole number from 2 to 20, got 1/);
    assert.throws(() => parseNodeLossArgs(['--agents', '5']), /unknown argument --agents/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { abnormalAgents, HealthLedger, timeline, type PodLike } from '../../../bench/chaos/health.ts';
import { figures } from '../../../bench/chaos/figures.ts';
import type { WatchType } from '../../../bench/lib/kube.ts';

const wallOrigin = Date.parse('2026-12-01T10:00:00Z');
/** The node's whole-second finishedAt of a death at run time t. */
const finished = (t: number) => new Date(wallOrigin + Math.floor(t) * 1000).toISOString().replace('.000', '');

/** A fluent pod: agent-000's one pod, Ready unless told otherwise. */
class Pod {
  name = 'agent-000-a';
  agent = 'agent-000';
  ready = true;
  restarts = 0;
  diedAt: string | undefined;
  nodeName = 'kwok-node-0';
  terminating = false;
  static of(agent = 0, suffix = 'a') { const p = new Pod(); p.agent = `agent-${String(agent).padStart(3, '0')}`; p.name = `${p.agent}-${suffix}`; return p; }
  notReady() { const p = this.copy(); p.ready = false; return p; }
  restarted(diedAt?: number) { const p = this.copy(); p.restarts++; p.diedAt = diedAt === undefined ? undefined : finished(diedAt); return p; }
  on(node: string) { const p = this.copy(); p.nodeName = node; return p; }
  deleting() { const p = this.copy(); p.terminating = true; return p; }
  copy() { return Object.assign(new Pod(), this); }
  get json(): PodLike {
    return {
      metadata: { name: this.name, uid: this.name, labels: { app: this.agent }, ...(this.terminating ? { deletionTimestamp: '2026-12-01T10:00:00Z' } : {}) },
      spec: { nodeName: this.nodeName },
      status: {
        conditions: [{ type: 'Ready', status: this.ready ? 'True' : 'False' }],
        containerStatuses: [{ name: 'agent', restartCount: this.restarts, ...(this.diedAt ? { lastState: { terminated: { reason: 'Error', finishedAt: this.diedAt } } } : {}) }],
      },
    };
  }
}

type Step = [t: number, type: WatchType, pod: Pod] | [t: number, 'replicas', n: number] | [t: number, 'node-down' | 'node-up', node: string];

function play(steps: Step[], agents = 1): HealthLedger {
  const l = new HealthLedger(agents, 'app', wallOrigin);
  for (const [t, what, x] of steps) {
    if (what === 'replicas') l.workload(t, 'MODIFIED', { metadata: { name: 'agent-000' }, spec: { replicas: x as number } });
    else if (what === 'node-down' || what === 'node-up') l.node(t, x as string, what === 'node-down');
    else l.pod(t, what, (x as Pod).json);
  }
  return l;
}

const ok = Pod.of(0);

describe('chaos health from watch events', () => {
  const cases: { name: string; steps: Step[]; stretches: { from: number; to: number | undefined }[]; hidden?: number }[] = [
    { name: 'a Ready pod is a healthy agent', steps: [[0, 'ADDED', ok]], stretches: [] },
    { name: 'an agent is abnormal from its pod turning unready until it is Ready again', steps: [[0, 'ADDED', ok], [10.2, 'MODIFIED', ok.notReady()], [13.7, 'MODIFIED', ok]], stretches: [{ from: 10.2, to: 13.7 }] },
    {
      name: 'a restart between two events (dead and running again in one status write) counts from the death to the event',
      steps: [[0, 'ADDED', ok], [12.8, 'MODIFIED', ok.restarted(12.3)]], stretches: [{ from: 12, to: 12.8 }], hidden: 1,
    },
    {
      name: 'a death the node stamps before the previous event (whole seconds) counts from that event',
      steps: [[0, 'ADDED', ok], [12.5, 'MODIFIED', ok.notReady()], [12.6, 'MODIFIED', ok], [13.1, 'MODIFIED', ok.restarted(12.9)]],
      stretches: [{ from: 12.5, to: 12.6 }, { from: 12.6, to: 13.1 }], hidden: 1,
    },
    { name: 'a restart with no finish time counts from the previous event', steps: [[0, 'ADDED', ok], [5, 'MODIFIED', ok], [9, 'MODIFIED', ok.restarted()]], stretches: [{ from: 5, to: 9 }], hidden: 1 },
    {
      name: 'a restart seen while the agent is already abnormal is not counted again',
      steps: [[0, 'ADDED', ok], [10, 'MODIFIED', ok.notReady()], [12, 'MODIFIED', ok.notReady().restarted(11)], [20, 'MODIFIED', ok.restarted(11)]],
      stretches: [{ from: 10, to: 20 }], hidden: 0,
    },
    {
      name: 'a surge pod that is not Ready beside a serving one makes the agent abnormal',
      steps: [[0, 'ADDED', ok], [3, 'ADDED', Pod.of(0, 'b').notReady()], [9, 'DELETED', Pod.of(0, 'b').notReady()]], stretches: [{ from: 3, to: 9 }],
    },
    {
      name: 'a deleted pod leaves the agent abnormal until its replacement is Ready; a terminating pod does not count',
      steps: [[0, 'ADDED', ok], [4, 'MODIFIED', ok.deleting().notReady()], [4.5, 'ADDED', Pod.of(0, 'b').notReady()], [5, 'DELETED', ok.deleting()], [7, 'MODIFIED', Pod.of(0, 'b')]],
      stretches: [{ from: 4, to: 7 }],
    },
    { name: 'fewer Ready pods than the Deployment asks for is abnormal', steps: [[0, 'ADDED', ok], [2, 'replicas', 2], [6, 'ADDED', Pod.of(0, 'b')]], stretches: [{ from: 2, to: 6 }] },
    {
      name: 'a pod on a node the bench stopped serves nothing, Ready or not, until the node is back',
      steps: [[0, 'ADDED', ok], [10, 'node-down', 'kwok-node-0'], [50, 'MODIFIED', ok.notReady()], [80, 'node-up', 'kwok-node-0'], [85, 'MODIFIED', ok]],
      stretches: [{ from: 10, to: 85 }],
    },
    {
      name: 'a replacement on another node ends the outage once the lost pod is being deleted',
      steps: [[0, 'ADDED', ok], [10, 'node-down', 'kwok-node-0'], [20, 'MODIFIED', ok.deleting()], [20.5, 'ADDED', Pod.of(0, 'b').on('kwok-node-1').notReady()], [24, 'MODIFIED', Pod.of(0, 'b').on('kwok-node-1')]],
      stretches: [{ from: 10, to: 24 }],
    },
    { name: 'still abnormal at the end: the stretch stays open', steps: [[0, 'ADDED', ok], [10, 'MODIFIED', ok.notReady()]], stretches: [{ from: 10, to: undefined }] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const l = play(c.steps);
      assert.deepEqual(l.stretches().get(0) ?? [], c.stretches);
      if (c.hidden !== undefined) assert.equal(l.hiddenRestarts, c.hidden);
    });
  }

  it('counts a crash a 1 s sample misses: both samples show a Ready pod, the watch a second of outage and an MTTR', () => {
    const before = ok.json;
    const after = ok.restarted(12.3).json;
    assert.deepEqual(abnormalAgents([before], 'app', 1), new Set(), 'the sample at 12 s');
    assert.deepEqual(abnormalAgents([after], 'app', 1), new Set(), 'the sample at 13 s');
    const l = play([[0, 'ADDED', ok], [12.9, 'MODIFIED', ok.restarted(12.3)]]);
    const f = figures('plain', 1, [{ id: 0, class: 'transient-crash', agent: 0, at: 11, endsAt: 41 }], l.stretches(), 100);
    assert.equal(f.abnormalRate.toFixed(4), (0.9 / 100).toFixed(4));
    assert.equal(f.outcomes[0]!.mttr!.toFixed(1), '1.9', 'onset at 11 s, the restarted pod seen at 12.9 s');
    assert.equal(f.outcomes[0]!.abnormalSeconds.toFixed(1), '0.9');
  });

  it('keeps agents apart and ignores pods of agents outside the fleet', () => {
    const l = new HealthLedger(2, 'app', wallOrigin);
    l.pod(0, 'ADDED', Pod.of(0).json);
    l.pod(0, 'ADDED', Pod.of(1).notReady().json);
    l.pod(0, 'ADDED', Pod.of(7).notReady().json);
    assert.deepEqual(l.abnormal(), new Set([1]));
    assert.deepEqual([...l.stretches().keys()], [1]);
  });

  it('counts each OOM kill once, however many events show it', () => {
    const l = new HealthLedger(1, 'app', wallOrigin);
    const oom = () => ({ ...ok.json, status: { containerStatuses: [{ name: 'agent', restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', containerID: 'containerd://c1' } } }] } });
    l.pod(3, 'MODIFIED', oom());
    l.pod(4, 'MODIFIED', oom());
    assert.deepEqual([...l.oomKills.values()], [{ agent: 0, t: 3 }]);
  });

  it('turns stretches into the abnormal agents of each second for the plots', () => {
    const s = timeline(new Map([[0, [{ from: 1.5, to: 2.2 }]], [1, [{ from: 2.9, to: undefined }]]]), 4);
    assert.deepEqual(s.map((x) => [x.t, [...x.abnormal].sort()]), [[0, []], [1, [0]], [2, [0, 1]], [3, [1]]]);
  });
});

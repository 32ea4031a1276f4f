import type { CoreV1Event, V1ControllerRevision, V1DaemonSet, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { Snapshot } from '../../../src/cli/view.ts';

// Snapshots as `kubectl get -o json` returns them (times are strings there),
// for the plugin's golden tests.

const rs = (n: number, rev: string, image: string, memory: string, created: string, env = 'LEVEL=info'): V1ReplicaSet => ({
  metadata: { name: `summarizer-${rev.slice(0, 5)}`, creationTimestamp: created as unknown as Date, annotations: { 'deployment.kubernetes.io/revision': String(n) } },
  spec: {
    selector: {},
    template: {
      metadata: { labels: { 'pod-template-hash': rev.slice(0, 5) }, annotations: { 'agent-operator.dev/revision': rev } },
      spec: { containers: [{ name: 'agent', image, env: [{ name: env.split('=')[0]!, value: env.split('=')[1]! }], resources: { limits: { memory } } }] },
    },
  },
});

const pod = (name: string, rev: string, o: { ready?: boolean; restarts?: number; waiting?: string; last?: { reason: string; exitCode: number } } = {}): V1Pod => ({
  metadata: { name, annotations: { 'agent-operator.dev/revision': rev } },
  status: {
    phase: 'Running',
    containerStatuses: [{
      name: 'agent', image: '', imageID: '', ready: o.ready ?? true, restartCount: o.restarts ?? 0,
      state: o.waiting ? { waiting: { reason: o.waiting } } : { running: {} },
      ...(o.last ? { lastState: { terminated: { reason: o.last.reason, exitCode: o.last.exitCode } } } : {}),
    }],
  },
});

const event = (time: string, type: string, reason: string, message: string, o: { pod?: string; count?: number } = {}): CoreV1Event => ({
  metadata: {}, involvedObject: o.pod ? { kind: 'Pod', name: o.pod } : { kind: 'Agent', name: 'summarizer' },
  type, reason, message, lastTimestamp: time as unknown as Date, count: o.count ?? 1,
});

const deployment = (rev: string, ready: number, replicas: number) => ({
  metadata: { name: 'summarizer' },
  spec: { replicas, selector: {}, template: { metadata: { annotations: { 'agent-operator.dev/revision': rev } } } },
  status: { readyReplicas: ready, updatedReplicas: replicas },
});

const cond = (type: string, status: string, reason: string, message: string) => ({ type, status: status as 'True' | 'False', reason, message, lastTransitionTime: '2026-11-27T10:00:00Z', observedGeneration: 3 });

export const healthy: Snapshot = {
  agent: {
    metadata: { name: 'summarizer', namespace: 'agents', generation: 3 },
    spec: { image: 'ghcr.io/example/summarizer:1.4.0', replicas: 2 },
    status: {
      observedGeneration: 3, phase: 'Running', readyText: '2/2', revision: '6d5f8c9b7', lastHealthyRevision: '6d5f8c9b7', image: 'ghcr.io/example/summarizer:1.4.0',
      conditions: [cond('Ready', 'True', 'Ready', '2/2 replicas run revision 6d5f8c9b7 and are ready'), cond('Degraded', 'False', 'Healthy', 'no failure is being remediated')],
    },
  },
  workload: deployment('6d5f8c9b7', 2, 2),
  replicaSets: [rs(1, '6d5f8c9b7', 'ghcr.io/example/summarizer:1.4.0', '256Mi', '2026-11-27T10:00:00Z')],
  pods: [pod('summarizer-6d5f8-a1b2c', '6d5f8c9b7'), pod('summarizer-6d5f8-d3e4f', '6d5f8c9b7', { restarts: 1 })],
  events: [],
};

export const rolledBack: Snapshot = {
  agent: {
    metadata: { name: 'summarizer', namespace: 'agents', generation: 5, annotations: { 'agent-operator.dev/hold': 'by=alice at=2026-11-27T10:40:00Z' } },
    spec: { image: 'ghcr.io/example/summarizer:1.5.0', replicas: 2 },
    status: {
      observedGeneration: 5, phase: 'Degraded', readyText: '1/2', revision: '9c3b1a7f2', lastHealthyRevision: '6d5f8c9b7', image: 'ghcr.io/example/summarizer:1.4.0',
      lastFailure: { reason: 'CrashLoopBackOff', message: 'container agent exited with code 1 three times', pod: 'summarizer-9c3b1-x2k9q', container: 'agent', exitCode: 1, time: '2026-11-27T10:20:00Z', count: 3 },
      recovery: { generation: 5, lastAction: 'Rollback', lastActionTime: '2026-11-27T10:30:00Z', rolledBackFrom: '9c3b1a7f2', rolledBackTo: '6d5f8c9b7', memoryLimit: '384Mi' },
      conditions: [
        cond('Ready', 'False', 'RolledBack', 'running the rolled-back revision 6d5f8c9b7, not the spec\'s 9c3b1a7f2'),
        cond('Degraded', 'True', 'RolledBack', 'revision 9c3b1a7f2 kept crashing; running 6d5f8c9b7 (image summarizer:1.4.0); change the spec to try again'),
        cond('Stalled', 'False', 'Reconciled', 'nothing blocks progress'),
      ],
    },
  },
  workload: deployment('6d5f8c9b7', 1, 2),
  replicaSets: [
    rs(1, '6d5f8c9b7', 'ghcr.io/example/summarizer:1.4.0', '256Mi', '2026-11-27T10:00:00Z'),
    rs(2, '1f0e2d3c4', 'ghcr.io/example/summarizer:1.4.0', '256Mi', '2026-11-27T10:05:00Z'),
    rs(3, '9c3b1a7f2', 'ghcr.io/example/summarizer:1.5.0', '384Mi', '2026-11-27T10:10:00Z', 'LEVEL=debug'),
  ],
  pods: [
    pod('summarizer-6d5f8-a1b2c', '6d5f8c9b7'),
    pod('summarizer-6d5f8-g5h6i', '6d5f8c9b7', { ready: false, restarts: 4, waiting: 'CrashLoopBackOff', last: { reason: 'Error', exitCode: 1 } }),
  ],
  events: [
    event('2026-11-27T10:30:00Z', 'Warning', 'RolledBack', 'revision 9c3b1a7f2 kept crashing after 3 restarts; running 6d5f8c9b7'),
    event('2026-11-27T10:12:00Z', 'Warning', 'CrashLoopBackOff', 'container agent keeps exiting with code 1: check its logs', { count: 3 }),
    event('2026-11-27T10:15:00Z', 'Normal', 'RestartedPod', 'deleted pod summarizer-9c3b1-x2k9q (attempt 1 of 3)'),
    event('2026-11-27T10:13:00Z', 'Warning', 'BackOff', 'Back-off restarting failed container agent', { pod: 'summarizer-6d5f8-g5h6i', count: 4 }),
  ],
};

export const noStatus: Snapshot = {
  agent: { metadata: { name: 'fresh', namespace: 'agents', generation: 1 }, spec: { image: 'ghcr.io/example/fresh:1.0.0' } },
  replicaSets: [], pods: [], events: [],
};

/** A DaemonSet's revision as its controller stores it: a patch that replaces the whole template. */
const cr = (n: number, rev: string, image: string, created: string): V1ControllerRevision => ({
  metadata: { name: `collector-${rev.slice(0, 5)}`, creationTimestamp: created as unknown as Date },
  revision: n,
  data: { spec: { template: { $patch: 'replace', metadata: { annotations: { 'agent-operator.dev/revision': rev } }, spec: { containers: [{ name: 'agent', image, resources: { limits: { memory: '128Mi' } } }] } } } },
});

const daemonSet: V1DaemonSet = {
  kind: 'DaemonSet',
  metadata: { name: 'collector' },
  spec: { selector: {}, template: { metadata: { annotations: { 'agent-operator.dev/revision': '4b7e1c2d9' } } } },
  status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 2, numberMisscheduled: 0 },
};

/** A node agent mid-rollout: its revisions are ControllerRevisions, and its counts are nodes. */
export const nodeAgent: Snapshot = {
  agent: {
    metadata: { name: 'collector', namespace: 'agents', generation: 2 },
    spec: { image: 'ghcr.io/example/collector:2.1.0', mode: 'DaemonSet' },
    status: {
      observedGeneration: 2, phase: 'Progressing', readyText: '2/3', revision: '4b7e1c2d9', lastHealthyRevision: '0a1b2c3d4', image: 'ghcr.io/example/collector:2.1.0',
      conditions: [cond('Ready', 'False', 'RolloutInProgress', 'rolling out revision 4b7e1c2d9 node by node: 2/3 updated, 2/3 available')],
    },
  },
  workload: daemonSet,
  replicaSets: [],
  controllerRevisions: [
    cr(2, '4b7e1c2d9', 'ghcr.io/example/collector:2.1.0', '2026-11-27T11:00:00Z'),
    cr(1, '0a1b2c3d4', 'ghcr.io/example/collector:2.0.0', '2026-11-27T10:00:00Z'),
  ],
  pods: [pod('collector-x1', '4b7e1c2d9'), pod('collector-x2', '4b7e1c2d9'), pod('collector-y3', '0a1b2c3d4', { ready: false })],
  events: [],
};

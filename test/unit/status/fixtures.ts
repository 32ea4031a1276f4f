import type { V1Deployment } from '@kubernetes/client-node';
import type { Failure } from '../../../src/health/failure.ts';
import { readySince } from '../../../src/health/ready-since.ts';
import type { StatusInput } from '../../../src/status/compute.ts';
import { readRollout } from '../../../src/status/rollout.ts';
import type { RecoveryPolicy } from '../../../src/recovery/steps.ts';

export const t0 = Date.UTC(2026, 10, 27, 11, 0, 0);
export const iso = (s: number) => new Date(t0 + s * 1000).toISOString().replace('.000Z', 'Z');

export const policy: RecoveryPolicy = {
  restart: { initialBackoffSeconds: 10, maxBackoffSeconds: 300, maxAttempts: 3, windowSeconds: 3600, healthyResetSeconds: 600 },
  oomKilled: { action: 'IncreaseMemory', maxMemory: '512Mi', proactive: false },
  onExhausted: 'Rollback',
};

interface DeploymentOptions {
  replicas?: number;
  ready?: number;
  updated?: number;
  available?: number;
  /** metadata.generation vs status.observedGeneration */
  observed?: boolean;
  progressing?: 'NewReplicaSetAvailable' | 'ReplicaSetUpdated' | 'ProgressDeadlineExceeded';
  revision?: string;
  image?: string;
}

/** A Deployment as the controller reports it; defaults: 3 replicas, rolled out, all ready, revision rev2. */
export function deployment(o: DeploymentOptions = {}): V1Deployment {
  const replicas = o.replicas ?? 3;
  const p = o.progressing ?? 'NewReplicaSetAvailable';
  return {
    metadata: { name: 'agent', generation: 4 },
    spec: {
      replicas,
      selector: {},
      template: {
        metadata: { annotations: { 'agent-operator.dev/revision': o.revision ?? 'rev2' } },
        spec: { containers: [{ name: 'agent', image: o.image ?? 'registry.example/agent:v2' }] },
      },
    },
    status: {
      observedGeneration: o.observed === false ? 3 : 4,
      replicas,
      readyReplicas: o.ready ?? replicas,
      updatedReplicas: o.updated ?? replicas,
      availableReplicas: o.available ?? o.ready ?? replicas,
      conditions: [{
        type: 'Progressing', status: p === 'ProgressDeadlineExceeded' ? 'False' : 'True', reason: p,
        message: p === 'ProgressDeadlineExceeded' ? 'ReplicaSet "agent-7d9f" has timed out progressing.' : 'ReplicaSet "agent-7d9f" is progressing.',
      }],
    },
  };
}

export const crash = (pod: string, o: Partial<Failure> = {}): Failure => ({
  reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/uid-${pod}/agent/r3`, active: true, pod, podUid: `uid-${pod}`, container: 'agent',
  containerState: 'waiting', restartCount: 3, exitCode: 1, message: 'back-off restarting after Error (exit code 1)', since: iso(-10), ...o,
});

/** The input plan would give computeStatus: `read` is read from the workload and pods, as plan reads it, unless given. */
export function statusInput(o: Partial<StatusInput> = {}): StatusInput {
  const input: Omit<StatusInput, 'read'> = {
    now: new Date(t0), generation: 2, previous: undefined, workload: deployment(), pods: [], desiredReplicas: 3,
    revision: 'rev2', selector: 'app.kubernetes.io/name=agent', failures: [],
    decision: { action: { type: 'None' }, recovery: { generation: 2 }, fresh: [] },
    policy, specMemoryLimit: '256Mi', dependencies: { state: 'None' }, missingReferences: [], configErrors: [], invalidSpec: [],
    probesMissing: false, unmanaged: false,
    ...o,
  };
  return { read: { rollout: readRollout(input.workload, input.desiredReplicas), readySince: readySince(input.pods) }, ...input };
}

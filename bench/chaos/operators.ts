// The operator of one arm: a process scoped to the arm's namespace with
// leader election on, so the operator faults are what they are in a cluster.
// operator-kill: SIGKILL (no lease release), then the process started again
// at once under the same pod name, as the kubelet restarts a killed container
// in its pod (the chart's identity is the pod name, so the restarted process
// finds the lease its own and leads at once). leader-failover: a standby (a
// new pod name) started and ready, then the leader stopped the way a rolling
// upgrade stops it (SIGTERM releases the lease). Any exit the bench did not
// cause is a crash.
import { join } from 'node:path';
import { startOperator, type RunningOperator } from '../lib/operator.ts';
import type { Arm } from './fleet.ts';

export interface ArmOperator {
  kill(): Promise<void>;
  failover(): Promise<void>;
  /** Stops every process of the arm (not a crash). */
  stop(): Promise<void>;
  crashes: number;
  starts: number;
}

export async function startArmOperator(kubeconfig: string, arm: Arm, workDir: string, log: (m: string) => void): Promise<ArmOperator> {
  let n = 0;
  const ours = new Set<RunningOperator>();
  const self: ArmOperator = {
    crashes: 0, starts: 0, kill, failover,
    stop: async () => {
      const all = [...ours];
      ours.clear();
      await Promise.all(all.map((op) => op.stop()));
    },
  };
  let pods = 0;
  const launch = async (podName = `${arm.name}-${++pods}`) => {
    const op = await startOperator({
      kubeconfig, namespace: arm.namespace, logFile: join(workDir, `operator-${arm.name}-${++n}.log`),
      env: { LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: arm.namespace, LEASE_NAME: `agent-operator-chaos-${arm.name}`, POD_NAME: podName, ...arm.operatorEnv },
    });
    self.starts++;
    ours.add(op);
    void op.exited.then((code) => {
      if (ours.has(op)) {
        self.crashes++;
        log(`operator ${arm.name} (pid ${op.pid}) exited by itself with ${code}`);
      }
    });
    return op;
  };
  let current = await launch();
  let currentPod = `${arm.name}-${pods}`;
  async function kill() {
    ours.delete(current);
    current.child.kill('SIGKILL');
    await current.exited;
    current = await launch(currentPod);
  }
  async function failover() {
    const standby = await launch();
    ours.delete(current);
    await current.stop();
    current = standby;
    currentPod = `${arm.name}-${pods}`;
  }
  return self;
}

// The one shape every workload kind's rollout is read into (rollout.ts for a
// Deployment, workload-rollout.ts for the others), in a file of its own so
// neither reader imports the other.

/** What the Agent's Deployment says about its rollout, read once for the status and the policy. */
export interface Rollout {
  exists: boolean;
  /** The workload's kind (spec.mode); absent when there is none yet. */
  kind?: 'Deployment' | 'DaemonSet' | 'StatefulSet';
  /** The Deployment controller has seen the latest template and replica count. */
  observed: boolean;
  /** Every desired replica is updated and available and no old pod is left (kubectl rollout status's rule). */
  complete: boolean;
  /** Rolling (or scaling) and still within progressDeadlineSeconds: the policy leaves it alone. */
  inProgress: boolean;
  /** The Deployment's Progressing condition says ProgressDeadlineExceeded. */
  deadlineExceeded: boolean;
  deadlineMessage?: string;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  /** DaemonSet only: nodes running the Agent's pod that should not (numberMisscheduled). */
  misscheduledReplicas?: number;
  /** The revision annotation on the Deployment's pod template: what it rolls out. */
  revision?: string;
  /** The agent container's image in the Deployment's pod template. */
  image?: string;
}

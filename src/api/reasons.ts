/**
 * The one catalogue of reasons. Every condition reason and event reason the
 * operator writes comes from here, so they are stable (alerts and Argo CD
 * health checks match on them) and each is documented (docs/api.md is
 * generated from `reasons`, and a test fails on an undocumented one).
 */

/** Failure classes, as written to status.lastFailure.reason. */
export const failureReasons = [
  'OOMKilled', 'CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError',
  'ProbeFailure', 'LivenessProbeFailure', 'Unschedulable', 'PVCPending', 'SecretNotFound', 'ConfigMapNotFound',
  'DependencyNotReady', 'InvalidSpec', 'QuotaExceeded', 'LimitRangeViolation', 'NodeLost',
] as const;
export type FailureReason = (typeof failureReasons)[number];

export const reasons = {
  // failure classes
  OOMKilled: 'A container exceeded its memory limit and was killed by the kernel (exit 137).',
  CrashLoopBackOff: 'A container keeps exiting and the kubelet is backing off its restarts.',
  ImagePullBackOff: 'The image cannot be pulled and the kubelet is backing off.',
  ErrImagePull: 'The image pull failed (wrong name or tag, or missing pull credentials).',
  CreateContainerConfigError: 'The kubelet cannot create the container from its configuration (missing Secret/ConfigMap key, or a non-root policy the image breaks).',
  ProbeFailure: 'A readiness probe has failed for longer than the probe allows.',
  LivenessProbeFailure: 'The kubelet killed and restarted a container because its liveness probe failed (the pod\'s Killing event says so).',
  Unschedulable: 'The scheduler cannot place the pod (resources, node selector, taints).',
  PVCPending: 'The state volume claim is not bound.',
  SecretNotFound: 'A referenced Secret or one of its keys does not exist; the rollout is held.',
  ConfigMapNotFound: 'A referenced ConfigMap or one of its keys does not exist; the rollout is held.',
  DependencyNotReady: 'A dependency in spec.dependsOn is not Ready yet; pods are held back.',
  InvalidSpec: 'The spec cannot be carried out: a value the schema refuses (in an Agent stored under an older or schema-less CRD) or a valid one the operator cannot build; the message names the field.',
  QuotaExceeded: 'The ReplicaSet cannot create pods: a ResourceQuota of the namespace refuses them (FailedCreate); a memory raise that causes it is held, not pushed further.',
  LimitRangeViolation: 'The ReplicaSet cannot create pods: a LimitRange of the namespace refuses their resources (FailedCreate); a memory raise that causes it is held, not pushed further.',
  NodeLost: 'A pod\'s node stopped heartbeating (its Ready condition is Unknown or False, or it carries the node.kubernetes.io/unreachable or not-ready taint) or its Node object is gone. Reported, not remediated: Kubernetes evicts the pod once its toleration (spec.failover.nodeLostSeconds) runs out and its controller replaces it elsewhere; the pod of a StatefulSet, or of a Deployment with a ReadWriteOnce volume (Recreate), waits for its node and is released only under spec.failover.releaseStatefulPods.',
  // healthy and progressing states
  Ready: 'All desired replicas run the current revision and are ready.',
  Available: 'At least the minimum of replicas is available.',
  Unavailable: 'Fewer replicas are available than required.',
  ScaledToZero: 'spec.replicas is 0: nothing runs, by request.',
  NoMatchingNodes: 'DaemonSet mode: no node admits the Agent\'s pods (podTemplate.nodeSelector, affinity, tolerations), so nothing runs.',
  RolloutInProgress: 'A new revision is rolling out.',
  RolloutComplete: 'The current revision has rolled out.',
  ProgressDeadlineExceeded: 'The rollout did not progress within its deadline.',
  Reconciled: 'The operator has applied the desired state.',
  Reconciling: 'The operator is bringing the cluster to the desired state.',
  // dependencies
  DependenciesReady: 'Every dependency is Ready.',
  NoDependencies: 'The Agent has no dependencies.',
  DependencyCycle: 'spec.dependsOn forms a cycle; no Agent in it can start.',
  // configuration
  InvalidConfig: 'A config layer is not a YAML/JSON mapping.',
  PodSecurityViolation: "The pod the Agent asks for breaks the operator's pod policy: the Pod Security Standards level (--pod-security-level) or a ServiceAccount not in --allowed-service-accounts. The message names each field and what is allowed; the rollout is held and what runs keeps running.",
  ProbesMissing: 'No probes: the agent has no ports and no health spec, so a hung agent goes unnoticed.',
  ProbesConfigured: 'Liveness/readiness probes are in place.',
  // config reload (spec.config.reload InPlace/HTTP)
  ConfigReloaded: 'reload InPlace/HTTP: every pod has been given the current config (HTTP: and its reload call succeeded).',
  ConfigReloadPending: 'reload InPlace/HTTP: the current config is on its way to some pods (the kubelet refreshes the mounted file; HTTP: the reload call follows).',
  ConfigReloadFailed: "reload HTTP: a pod's reload endpoint failed 3 times for the current config; with onFailure RestartPod the operator deleted the pod so it starts on the current file.",
  // resource usage (the kubelet's cAdvisor metrics, with --node-metrics): warnings, Ready is unaffected
  MemoryNearLimit: "A container's memory working set has stayed at 90% of its limit or more for 2 of cAdvisor's readings in a row (10-15 s apart): the kernel OOM-kills it at the limit. Raise resources.limits.memory, or set recovery.oomKilled.proactive: true so the operator raises it first. Clears below 80%.",
  MemoryWithinLimit: "Every container's memory working set is below 90% of its limit (or has fallen back below 80%).",
  CPUThrottled: "A container was throttled in 25% or more of its CFS periods (container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total between the first and last of its last 3 readings): its CPU limit is too low. Raise resources.limits.cpu or remove it (the operator sets none by default). Clears below 10%.",
  CPUNotThrottled: 'No container with a CPU limit is throttled in a share of its CFS periods that matters (or it has fallen back below 10%).',
  // remediation
  Healthy: 'No failure is being remediated.',
  RestartedPod: 'The operator deleted a failing pod so it is recreated fresh.',
  MemoryIncreased: 'The memory limit was raised after an OOM kill, or before one with recovery.oomKilled.proactive (override in status.recovery.memoryLimit).',
  RolledBack: 'The operator runs the last healthy revision because the current one kept failing, or the revision a rollback request (agent-operator.dev/rollback) named.',
  RecoveryExhausted: 'Restarts are used up and no further automatic action applies; the operator holds.',
  RecoveryCleared: 'A new spec generation, or a request (agent-operator.dev/resume, or a rollback back to the spec\'s revision), cleared the previous remediation.',
  RequestRefused: 'A request in an annotation (agent-operator.dev/resume or /rollback) cannot be read or carried out; the message names the annotation and the fix.',
  StatefulPodReleased: 'StatefulSet mode (or a Deployment with a ReadWriteOnce volume) with spec.failover.releaseStatefulPods: ForceDelete: a pod\'s node was lost for spec.failover.nodeGoneSeconds, so the operator force-deleted the pod (grace period 0) and its replacement starts on another node. Should the node still run it, two copies may run at once (split brain).',
  StuckPodDeleted: 'StatefulSet mode: a pod of a revision the StatefulSet no longer runs never became Ready and blocked the ordered rollout (the StatefulSet controller waits for it forever); the operator deleted it so it comes back at the current revision.',
  // operation
  Unmanaged: 'managementState is Unmanaged: the operator only reports.',
  ApplyFailed: 'The apiserver refused to write an owned object (admission policy or webhook, quota, schema, RBAC); the message has its answer. Retried every 15 s.',
  NameConflict: 'An object with the name the Agent needs exists and is not this Agent\'s; the operator leaves it untouched (the message names it and the fix).',
} as const satisfies Record<FailureReason, string> & Record<string, string>;

export type Reason = keyof typeof reasons;

/** An Event the operator records on an Agent (a remediation step, a condition transition): its reason from this catalogue. */
export interface AgentEvent { type: 'Normal' | 'Warning'; reason: Reason; message: string }

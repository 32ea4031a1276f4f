import type { V1ReplicaSet } from '@kubernetes/client-node';
import { revisionAnnotation } from '../api/annotations.ts';
import { parseQuantity } from '../lib/quantity.ts';
import { statusTime } from '../lib/time.ts';
import { containerName } from '../desired/pod-spec.ts';
import type { Failure } from './failure.ts';

// ReplicaSets -> the failures that keep pods from existing at all. When
// admission refuses a pod, there is no pod to read: the ReplicaSet controller
// records it as the ReplicaFailure condition (reason FailedCreate) with the
// apiserver's message, and that message says which policy refused it.

/** The apiserver's words for each class (plugin/pkg/admission/resourcequota, plugin/pkg/admission/limitranger). */
const classes: [Failure['reason'], RegExp][] = [
  ['QuotaExceeded', /exceeded quota|status unknown for quota/],
  ['LimitRangeViolation', /(maximum|minimum) \S+ usage per (Container|Pod)|limit to request ratio per (Container|Pod)/],
];

/**
 * One failure per ReplicaSet that should have pods and cannot create them for
 * a quota or a LimitRange; other FailedCreate causes are left to the
 * Deployment's progress deadline. `memoryOverride` is the raise in force
 * (status.recovery.memoryLimit): a refused template at exactly that limit is
 * the raise being refused.
 */
export function detectReplicaFailures(replicaSets: readonly V1ReplicaSet[], memoryOverride: string | undefined): Failure[] {
  const out: Failure[] = [];
  for (const rs of replicaSets) {
    if ((rs.spec?.replicas ?? 0) === 0) continue;
    const c = rs.status?.conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True' && x.reason === 'FailedCreate');
    const reason = c?.message === undefined ? undefined : classes.find(([, re]) => re.test(c.message!))?.[0];
    if (!c || !reason) continue;
    const limit = rs.spec?.template?.spec?.containers.find((x) => x.name === containerName)?.resources?.limits?.['memory'];
    const f: Failure = { reason, key: `${rs.metadata?.uid ?? rs.metadata?.name}/${reason}`, active: true, message: c.message!, replicaSet: rs.metadata?.name ?? '' };
    if (limit !== undefined) f.memoryLimit = String(limit);
    if (limit !== undefined && memoryOverride !== undefined && parseQuantity(String(limit)) === parseQuantity(memoryOverride)) f.refusedRaise = true;
    const revision = rs.spec?.template?.metadata?.annotations?.[revisionAnnotation];
    if (revision !== undefined) f.revision = revision;
    if (c.lastTransitionTime !== undefined) f.since = statusTime(new Date(c.lastTransitionTime));
    out.push(f);
  }
  return out;
}

/** The diagnosis: which policy refused, what the operator does about a refused raise, and one fix. */
export function replicaFailureText(f: Failure, maxQuoted: (s: string) => string): string {
  const quota = f.reason === 'QuotaExceeded';
  const policy = quota ? 'a ResourceQuota' : 'a LimitRange';
  const said = maxQuoted(f.message);
  if (f.refusedRaise) {
    const fix = quota
      ? `raise the quota's memory (kubectl describe resourcequota -n <namespace>) to fit ${f.memoryLimit}`
      : `raise the LimitRange's max memory (kubectl describe limitrange -n <namespace>) to at least ${f.memoryLimit}`;
    return `the memory raise to ${f.memoryLimit} is refused by ${policy} of the namespace: ReplicaSet ${f.replicaSet} cannot create pods (${said}); `
      + `the operator holds the raise (no further raises or restarts) and the pods at the previous limit keep running: ${fix}, or set resources.limits.memory and recovery.oomKilled.maxMemory within it`;
  }
  const fix = quota
    ? 'raise the quota (kubectl describe resourcequota -n <namespace>) or lower spec.replicas or resources'
    : 'make resources fit the LimitRange (kubectl describe limitrange -n <namespace>) or change the LimitRange';
  return `ReplicaSet ${f.replicaSet} cannot create pods: ${policy} of the namespace refuses them (${said}): ${fix}`;
}

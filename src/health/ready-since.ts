import type { V1Pod } from '@kubernetes/client-node';
import { statusTime, toMs } from '../lib/time.ts';

/**
 * Since when every pod of the Agent has been up without a break, by the
 * kubelet's own record: the latest of each pod's Ready transition and each
 * container's start (a container restarted in place can stay Ready at pod
 * level, but its new start time shows the break). Undefined while any pod is
 * not Ready, or when there are no pods.
 *
 * Why it is needed: status.recovery.healthySince records when the operator
 * *saw* the Agent healthy. A crash-looping container is ready for a moment
 * between crashes; if the operator sees such a moment and then does not run
 * for a while (killed, upgraded, failing over), the stale healthySince would
 * read as an unbroken healthy stretch: attempts reset, or a failing revision
 * recorded as healthy. The pods say whether the stretch was unbroken.
 */
export function readySince(pods: readonly V1Pod[]): string | undefined {
  let latest: number | undefined;
  let counted = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed') continue;
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') return undefined;
    counted++;
    const times = [toMs(ready.lastTransitionTime), ...(pod.status?.containerStatuses ?? []).map((cs) => toMs(cs.state?.running?.startedAt))];
    for (const t of times) if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return counted > 0 && latest !== undefined ? statusTime(latest) : undefined;
}

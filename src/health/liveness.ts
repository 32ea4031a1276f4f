import type { V1Pod } from '@kubernetes/client-node';
import { toMs } from '../lib/time.ts';

/**
 * How long after a container's death its pod's events are still read to see
 * whether the kubelet killed it for liveness: the kubelet's back-off resets
 * after 10 min of clean running, and a death older than that explains nothing.
 */
export const livenessLookbackMs = 10 * 60_000;

/**
 * The pods whose events may explain a restart: a container that died (not an
 * OOM kill, which the status names itself) within the lookback. Only they
 * cost a read, so an Agent whose pods run cleanly costs none.
 */
export function podsToCheckForLivenessKills(pods: readonly V1Pod[], now: number): { name: string; uid: string }[] {
  const out: { name: string; uid: string }[] = [];
  for (const pod of pods) {
    const uid = pod.metadata?.uid;
    if (!uid || pod.metadata?.deletionTimestamp !== undefined) continue;
    const died = (pod.status?.containerStatuses ?? []).some((cs) => {
      const record = cs.state?.terminated ?? cs.lastState?.terminated;
      const at = toMs(record?.finishedAt);
      return record !== undefined && record.reason !== 'OOMKilled' && at !== undefined && now - at <= livenessLookbackMs;
    });
    if (died) out.push({ name: pod.metadata?.name ?? '', uid });
  }
  return out;
}

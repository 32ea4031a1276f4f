import type { CoreV1EventList } from '@kubernetes/client-node';
import type { LivenessKill } from '../health/detect.ts';
import { statusTime, toMs } from '../lib/time.ts';
import type { KubeClient } from './client.ts';

// The one cause the kubelet tells only in an Event: a container killed for a
// failing liveness probe. Its status shows a restart like any crash (exit 0
// if the program handles SIGTERM), the Event says why: reason Killing,
// "Container <c> failed liveness probe, will be restarted".

const livenessKill = /failed liveness probe/i;

/**
 * The liveness kills the kubelet announced for one pod. A targeted list (by
 * the pod's uid and reason Killing) instead of a watch on all events: it is
 * asked only for a pod whose container restarted recently (src/health/liveness.ts).
 */
export async function readLivenessKills(client: KubeClient, namespace: string, pod: { uid: string }): Promise<LivenessKill[]> {
  const list = await client.request<CoreV1EventList>({
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
    query: { fieldSelector: `involvedObject.uid=${pod.uid},reason=Killing` },
  });
  return livenessKillsOf(pod.uid, list.items ?? []);
}

/** Pure: the kills in a list of the pod's events, each at the latest time the Event records (repeats are aggregated into one Event). */
export function livenessKillsOf(podUid: string, events: CoreV1EventList['items']): LivenessKill[] {
  const out: LivenessKill[] = [];
  for (const e of events) {
    if (e.reason !== 'Killing' || !livenessKill.test(e.message ?? '')) continue;
    const container = /spec\.(?:initContainers|containers)\{([^}]+)\}/.exec(e.involvedObject?.fieldPath ?? '')?.[1] ?? /Container (\S+) failed/.exec(e.message ?? '')?.[1];
    const times = [e.lastTimestamp, e.eventTime, e.series?.lastObservedTime, e.firstTimestamp].map((t) => toMs(t as Date | string | undefined)).filter((t): t is number => t !== undefined);
    if (container === undefined || times.length === 0) continue;
    out.push({ podUid, container, at: statusTime(Math.max(...times)) });
  }
  return out;
}

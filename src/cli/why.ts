import type { CoreV1Event } from '@kubernetes/client-node';
import { condition, eventTime, remediationInForce, type Snapshot } from './view.ts';

// `kubectl agent why`: the diagnosis (what is wrong and what fixes it, from
// the conditions) and the timeline of what happened and what the operator did
// (from status and events), each in one plain sentence.

export interface Why {
  agent: string;
  verdict: string;
  diagnosis: string[];
  timeline: { time: string; text: string }[];
}

/** What each event reason means, as the start of a sentence. */
const said: Record<string, string> = {
  RestartedPod: 'The operator restarted a pod',
  MemoryIncreased: 'The operator raised the memory limit',
  RolledBack: 'The operator rolled back',
  RecoveryExhausted: 'The operator stopped remediating and holds',
  RecoveryCleared: 'The operator cleared its remediation',
  RequestRefused: 'The operator refused a request',
  HealthyAgain: 'The Agent became healthy again',
  Killing: 'The kubelet killed a container',
  BackOff: 'The kubelet is backing off a restart',
  Unhealthy: 'A probe failed',
  FailedScheduling: 'The scheduler could not place a pod',
  Failed: 'The kubelet reported a failure',
  Pulled: 'The kubelet pulled the image',
  Started: 'A container started',
  Created: 'A container was created',
  Scheduled: 'A pod was scheduled',
};

function sentence(e: CoreV1Event): string {
  const who = e.involvedObject?.kind === 'Pod' ? ` (pod ${e.involvedObject.name})` : '';
  const times = (e.series?.count ?? e.count ?? 1) > 1 ? `, ${e.series?.count ?? e.count} times` : '';
  const start = said[e.reason ?? ''] ?? (e.type === 'Warning' ? `The operator saw ${e.reason}` : `${e.reason}`);
  const msg = (e.message ?? '').trim().replace(/\.$/, '');
  return `${start}${who}${times}: ${msg}.`;
}

export function why(s: Snapshot): Why {
  const { agent } = s;
  const st = agent.status;
  const ready = condition(agent, 'Ready');
  const stalled = condition(agent, 'Stalled');
  const degraded = condition(agent, 'Degraded');
  const verdict = !st ? 'The operator has not reported on this Agent yet: is it running and watching this namespace?'
    : st.observedGeneration !== agent.metadata.generation ? `The operator has not seen the latest spec yet (generation ${agent.metadata.generation}, observed ${st.observedGeneration ?? 'none'}).`
      : ready?.status === 'True' && degraded?.status !== 'True' ? `Healthy: ${ready.message}.`
        : stalled?.status === 'True' ? `Stuck until someone acts (${stalled.reason}): ${stalled.message}.`
          : ready ? `Not ready (${ready.reason}): ${ready.message}.` : 'No Ready condition yet.';
  const diagnosis: string[] = [];
  if (degraded?.status === 'True') diagnosis.push(`Degraded (${degraded.reason}): ${degraded.message}.`);
  const lf = st?.lastFailure;
  if (lf) diagnosis.push(`The last failure was ${lf.reason}${lf.pod ? ` in pod ${lf.pod}` : ''}${lf.exitCode !== undefined ? ` (exit code ${lf.exitCode})` : ''}, seen ${lf.count} time${lf.count === 1 ? '' : 's'} for this spec: ${lf.message}.`);
  for (const r of remediationInForce(agent)) diagnosis.push(`In force: ${r}.`);
  const rec = st?.recovery;
  if (rec?.restartAttempts) diagnosis.push(`The operator has restarted pods ${rec.restartAttempts} time${rec.restartAttempts === 1 ? '' : 's'} in this window${rec.nextRestartNotBefore ? `; the next step is not before ${rec.nextRestartNotBefore}` : ''}.`);
  const timeline = [...s.events].sort((a, b) => eventTime(a).localeCompare(eventTime(b))).map((e) => ({ time: eventTime(e), text: sentence(e) }));
  return { agent: `${agent.metadata.namespace ?? ''}/${agent.metadata.name}`, verdict, diagnosis, timeline };
}

export function formatWhy(w: Why): string {
  const lines = [`Agent ${w.agent}`, '', w.verdict];
  if (w.diagnosis.length) lines.push('', ...w.diagnosis);
  lines.push('', 'What happened:');
  if (!w.timeline.length) lines.push('  nothing recorded (events expire after an hour by default)');
  for (const t of w.timeline) lines.push(`  ${t.time}  ${t.text}`);
  return lines.join('\n') + '\n';
}

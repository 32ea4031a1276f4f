import type { V1DaemonSet } from '@kubernetes/client-node';
import { condition, keptRevisions, podView, remediationInForce, revisionOf, workloadKind, type PodView, type Snapshot } from './view.ts';

// `kubectl agent status`: Agent -> workload -> revisions -> pods, with each
// pod's state, restarts and active failure, and the remediation in force.

export interface RevisionNode {
  revision: string;
  /** The Deployment's ReplicaSet that keeps the revision ('' in the other modes). */
  replicaSet: string;
  /** The DaemonSet's or StatefulSet's ControllerRevision that keeps it. */
  controllerRevision?: string;
  /** What the spec asks for / what the workload runs / the last revision seen healthy. */
  marks: string[];
  pods: PodView[];
}

export interface StatusTree {
  agent: string;
  phase: string;
  ready: string;
  image: string;
  revision: string;
  /** spec.mode: the kind of workload that runs the pods. */
  mode: string;
  remediation: string[];
  lastFailure?: string;
  /** The Ready condition's reason and message when not Ready. */
  notReady?: string;
  workload?: { kind: string; name: string; ready: string; updated: number };
  revisions: RevisionNode[];
}

export function statusTree(s: Snapshot): StatusTree {
  const { agent } = s;
  const st = agent.status;
  const running = revisionOf(s.workload);
  const pods = s.pods.map(podView);
  const known = new Set<string>();
  const revisions: RevisionNode[] = keptRevisions(s)
    .sort((a, b) => b.number - a.number)
    .map((kr) => {
      const { revision } = kr;
      known.add(revision);
      const marks = [
        ...(revision === running ? ['running'] : []),
        ...(revision === st?.revision ? ['spec'] : []),
        ...(revision === st?.lastHealthyRevision ? ['last healthy'] : []),
        ...(revision === st?.recovery?.rolledBackFrom ? ['rolled back from'] : []),
      ];
      const node: RevisionNode = { revision, replicaSet: kr.kind === 'ReplicaSet' ? kr.name : '', marks, pods: pods.filter((p) => p.revision === revision) };
      if (kr.kind === 'ControllerRevision') node.controllerRevision = kr.name;
      return node;
    })
    // an old revision with no pods and nothing to say is history, not status
    .filter((r) => r.pods.length > 0 || r.marks.length > 0);
  const orphans = pods.filter((p) => !p.revision || !known.has(p.revision));
  if (orphans.length) revisions.push({ revision: '?', replicaSet: '', marks: [workloadKind(agent) === 'Deployment' ? 'no ReplicaSet' : 'no ControllerRevision'], pods: orphans });
  const tree: StatusTree = {
    agent: `${agent.metadata.namespace ?? ''}/${agent.metadata.name}`,
    phase: st?.phase ?? 'Unknown (no status yet)',
    ready: st?.readyText ?? '-',
    image: st?.image ?? agent.spec.image ?? '',
    revision: st?.revision ?? '-',
    mode: workloadKind(agent),
    remediation: remediationInForce(agent),
    revisions,
  };
  const lf = st?.lastFailure;
  if (lf) tree.lastFailure = `${lf.reason} ×${lf.count} at ${lf.time}${lf.pod ? ` (${lf.pod}${lf.container ? `/${lf.container}` : ''})` : ''}: ${lf.message}`;
  const ready = condition(agent, 'Ready');
  if (ready && ready.status !== 'True') tree.notReady = `${ready.reason}: ${ready.message}`;
  if (s.workload) tree.workload = workloadLine(s.workload, tree.mode);
  return tree;
}

/** Ready of desired, and updated: a DaemonSet counts nodes, the others replicas. */
function workloadLine(w: NonNullable<Snapshot['workload']>, kind: string): NonNullable<StatusTree['workload']> {
  const name = w.metadata?.name ?? '';
  if (kind === 'DaemonSet') {
    const s = (w as V1DaemonSet).status;
    return { kind, name, ready: `${s?.numberReady ?? 0}/${s?.desiredNumberScheduled ?? 0}`, updated: s?.updatedNumberScheduled ?? 0 };
  }
  const r = w as { spec?: { replicas?: number }; status?: { readyReplicas?: number; updatedReplicas?: number } };
  return { kind, name, ready: `${r.status?.readyReplicas ?? 0}/${r.spec?.replicas ?? 0}`, updated: r.status?.updatedReplicas ?? 0 };
}

export function formatStatusTree(t: StatusTree): string {
  const lines = [`Agent ${t.agent}  ${t.phase}  ready ${t.ready}  revision ${t.revision}  image ${t.image}`];
  if (t.notReady) lines.push(`│ not ready: ${t.notReady}`);
  if (t.lastFailure) lines.push(`│ last failure: ${t.lastFailure}`);
  for (const r of t.remediation) lines.push(`│ remediation: ${r}`);
  if (!t.remediation.length) lines.push('│ remediation: none in force');
  if (!t.workload) {
    lines.push(`└─ no ${t.mode} (yet)`);
    return lines.join('\n') + '\n';
  }
  lines.push(`└─ ${t.workload.kind} ${t.workload.name}  ready ${t.workload.ready}  updated ${t.workload.updated}`);
  t.revisions.forEach((r, i) => {
    const lastRev = i === t.revisions.length - 1;
    const marks = r.marks.length ? `  [${r.marks.join(', ')}]` : '';
    const keptIn = r.replicaSet ? ` (ReplicaSet ${r.replicaSet})` : r.controllerRevision ? ` (ControllerRevision ${r.controllerRevision})` : '';
    lines.push(`   ${lastRev ? '└─' : '├─'} revision ${r.revision}${keptIn}${marks}  ${r.pods.length} pod${r.pods.length === 1 ? '' : 's'}`);
    r.pods.forEach((p, j) => {
      const lastPod = j === r.pods.length - 1;
      const failure = p.failure ? `  failure: ${p.failure}` : '';
      lines.push(`   ${lastRev ? '  ' : '│ '}   ${lastPod ? '└─' : '├─'} pod ${p.name}  ${p.state}  ${p.ready ? 'ready' : 'not ready'}  restarts ${p.restarts}${failure}`);
    });
  });
  return lines.join('\n') + '\n';
}

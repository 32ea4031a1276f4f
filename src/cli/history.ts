import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { revisionAnnotation } from '../api/annotations.ts';
import { isoText } from '../lib/time.ts';
import { keptRevisions, revisionOf, type KeptRevision, type Snapshot } from './view.ts';

// `kubectl agent history`: every revision the workload still keeps (a
// Deployment's ReplicaSets, a DaemonSet's or StatefulSet's
// ControllerRevisions: what a rollback can run), oldest first, with what
// changed from the one before, which was healthy and which runs now.

export interface HistoryRow {
  revision: string;
  /** The workload controller's own revision number. */
  number: number;
  created: string;
  image: string;
  memory: string;
  changed: string;
  healthy: 'yes' | 'failed' | '';
  running: boolean;
  spec: boolean;
}

function container(t: V1PodTemplateSpec | undefined) {
  return t?.spec?.containers?.find((c) => c.name === 'agent') ?? t?.spec?.containers?.[0];
}

/** The template without what only names the revision: equal templates with different revisions differ in referenced content. */
function shape(t: V1PodTemplateSpec | undefined): string {
  const { [revisionAnnotation]: _r, ...annotations } = t?.metadata?.annotations ?? {};
  const { 'pod-template-hash': _h, ...labels } = t?.metadata?.labels ?? {};
  return JSON.stringify({ ...t, metadata: { ...t?.metadata, annotations, labels } });
}

function changes(prev: KeptRevision | undefined, kept: KeptRevision): string {
  if (!prev) return 'first revision';
  const a = prev.template;
  const b = kept.template;
  const out: string[] = [];
  const ia = container(a)?.image;
  const ib = container(b)?.image;
  if (ia !== ib) out.push(`image ${ia} → ${ib}`);
  const ma = container(a)?.resources?.limits?.['memory'];
  const mb = container(b)?.resources?.limits?.['memory'];
  if (ma !== mb) out.push(`memory ${ma ?? 'none'} → ${mb ?? 'none'}`);
  if (out.length) return out.join(', ');
  if (shape(a) !== shape(b)) return 'pod template (env, config, probes or other fields)';
  return 'Secret or ConfigMap content only (digests changed)';
}

export function history(s: Snapshot): HistoryRow[] {
  const st = s.agent.status;
  const running = revisionOf(s.workload);
  const sorted = keptRevisions(s).sort((a, b) => a.number - b.number);
  return sorted.map((kr, i) => {
    const { revision } = kr;
    return {
      revision,
      number: kr.number,
      created: isoText(kr.created),
      image: container(kr.template)?.image ?? '',
      memory: container(kr.template)?.resources?.limits?.['memory'] ?? '',
      changed: changes(sorted[i - 1], kr),
      healthy: revision === st?.recovery?.rolledBackFrom ? 'failed' : revision === st?.lastHealthyRevision ? 'yes' : '',
      running: revision === running,
      spec: revision === st?.revision,
    };
  });
}

export function formatHistory(rows: HistoryRow[], mode = 'Deployment'): string {
  if (!rows.length) return `No revisions yet (the ${mode} has no ${mode === 'Deployment' ? 'ReplicaSet' : 'ControllerRevision'}).\n`;
  const table = [['#', 'REVISION', 'CREATED', 'IMAGE', 'MEMORY', 'HEALTHY', 'NOW', 'CHANGED']];
  for (const r of rows) {
    const now = [r.running ? 'running' : '', r.spec && !r.running ? 'spec' : ''].filter(Boolean).join(',');
    table.push([String(r.number), r.revision, r.created, r.image, r.memory || '-', r.healthy || '-', now || '-', r.changed]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

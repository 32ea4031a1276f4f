import { holdAnnotation, resumeAnnotation, rollbackAnnotation } from '../api/annotations.ts';
import { statusTime } from '../lib/time.ts';
import type { AgentObject } from './view.ts';

// hold / resume / rollback as annotation changes (docs/operations.md,
// "Operator actions"): `kubectl annotate` arguments, decided purely. Never a
// status write, never a spec edit.

export type Request =
  | { kind: 'hold'; by: string }
  | { kind: 'resume' }
  | { kind: 'rollback'; to?: string | undefined };

export type Annotate = { ok: true; set: Record<string, string>; remove: string[]; summary: string } | { ok: false; error: string };


export function annotate(agent: AgentObject, req: Request, now: Date): Annotate {
  const name = agent.metadata.name;
  switch (req.kind) {
    case 'hold':
      return { ok: true, set: { [holdAnnotation]: `by=${req.by} at=${statusTime(now)}` }, remove: [], summary: `${name}: remediation paused until \`kubectl agent resume ${name}\`` };
    case 'resume':
      return {
        ok: true, set: { [resumeAnnotation]: `at=${statusTime(now)}` }, remove: agent.metadata.annotations?.[holdAnnotation] !== undefined ? [holdAnnotation] : [],
        summary: `${name}: remediation resumed${agent.status?.recovery?.lastAction === 'Hold' ? '; the operator\'s hold is lifted and restart attempts start over' : ''}`,
      };
    case 'rollback': {
      const st = agent.status;
      const to = req.to ?? st?.lastHealthyRevision;
      const running = st?.recovery?.rolledBackTo ?? st?.revision;
      if (!to) return { ok: false, error: `${name} has no healthy revision to roll back to: name one with --to (kubectl agent history ${name} lists them)` };
      if (to === running) return { ok: false, error: `${name} already runs revision ${to}` };
      const generation = agent.metadata.generation;
      if (generation === undefined) return { ok: false, error: `${name} has no metadata.generation` };
      return {
        ok: true, set: { [rollbackAnnotation]: `to=${to} generation=${generation} at=${statusTime(now)}` }, remove: [],
        summary: `${name}: rollback to revision ${to} requested; it holds until the spec changes (\`kubectl agent why ${name}\` shows when it is done)`,
      };
    }
  }
}

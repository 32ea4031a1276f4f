import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { secretDigestsAnnotation } from '../api/annotations.ts';
import { canonicalJson } from './hash.ts';
import { digestKey } from './references.ts';

// A rollback restores the pod template and (content-addressed) the config of
// the revision it goes back to, but not its Secrets: they are the user's
// objects, and the pods read them by reference. What a revision read is
// recorded on its template as short digests, so a rollback can say honestly
// which referenced Secret keys have changed since, and that their current
// values are what runs.

/** 16 hex digits of each digest: enough to notice a change; the full digest (an HMAC) stays out of the pod. */
export const secretDigestLength = 16;

/** The annotation value: `Secret/<name>[/<key>]` -> short digest, canonical JSON; undefined when the revision reads no Secret. */
export function secretDigestsValue(referenceDigests: Readonly<Record<string, string>>): string | undefined {
  const secrets = Object.fromEntries(Object.entries(referenceDigests)
    .filter(([k]) => k.startsWith('Secret/'))
    .map(([k, v]) => [k, v.slice(0, secretDigestLength)]));
  return Object.keys(secrets).length ? canonicalJson(secrets) : undefined;
}

export interface SecretChange {
  secret: string;
  /** Undefined: the whole Secret (envFrom). */
  key?: string;
  /** changed: its digest differs now (or it is gone); unknown: the current spec no longer reads it, so it was not read now. */
  change: 'changed' | 'gone' | 'unknown';
}

/**
 * The Secret keys the rollback target read whose content is not what it was
 * when that revision was built. `current` holds today's digests of what the
 * current spec references (gather reads those; a key only the old revision
 * read is `unknown`), `missing` what the current spec references but is not
 * there. A template from before this annotation existed yields nothing to
 * compare: an empty answer.
 */
export function secretChangesSince(
  target: V1PodTemplateSpec | undefined,
  current: Readonly<Record<string, string>>,
  missing: readonly { kind: string; name: string; key?: string }[] = [],
): SecretChange[] {
  const raw = target?.metadata?.annotations?.[secretDigestsAnnotation];
  if (raw === undefined) return [];
  let recorded: Record<string, unknown>;
  try {
    recorded = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return [];
  }
  const gone = new Set(missing.filter((m) => m.kind === 'Secret').map((m) => digestKey('Secret', m)));
  const out: SecretChange[] = [];
  for (const [id, digest] of Object.entries(recorded).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [, secret = '', key] = id.split('/');
    const now = current[id];
    const change = gone.has(id) || gone.has(`Secret/${secret}`) ? 'gone'
      : now === undefined ? 'unknown'
      : now.slice(0, secretDigestLength) === digest ? undefined : 'changed';
    if (change) out.push(key === undefined ? { secret, change } : { secret, key, change });
  }
  return out;
}

/** For the Degraded condition and the RolledBack event; names Secrets and keys, never values. */
export function secretChangesText(revision: string, changes: readonly SecretChange[]): string | undefined {
  const name = (c: SecretChange) => (c.key === undefined ? `Secret ${c.secret}` : `Secret ${c.secret} key ${c.key}`);
  const changed = changes.filter((c) => c.change !== 'unknown').map((c) => `${name(c)}${c.change === 'gone' ? ' (now missing)' : ''}`);
  const unknown = changes.filter((c) => c.change === 'unknown').map(name);
  const parts: string[] = [];
  if (changed.length) parts.push(`${changed.join(', ')} changed since revision ${revision} was built, and the current content is what runs`);
  if (unknown.length) parts.push(`${unknown.join(', ')}, which revision ${revision} reads, ${unknown.length > 1 ? 'are' : 'is'} no longer in the spec and was not compared`);
  if (!parts.length) return undefined;
  return `${parts.join('; ')} (Secrets are not versioned: a rollback restores the pod template and the config, not them)`;
}

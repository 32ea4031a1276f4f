import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonicalJson, sha256Hex } from './hash.ts';
import { revisionAnnotation } from './labels.ts';

export const revisionLength = 10;

/**
 * The revision: 10 hex digits of sha256 over the canonical JSON of the pod
 * template (minus its own revision annotation) and the content digests of
 * every Secret key / ConfigMap the Agent reads (keys from references.ts
 * `digestKey`, values are digests, never content).
 *
 * It is what rolls pods when nothing in the pod template text changed: a
 * rotated Secret key changes its digest, so the revision annotation on the
 * template changes and the Deployment rolls. A key the Agent does not
 * reference is not in the map, so its rotation changes nothing. Keys are
 * sorted at every level, so object key order never changes the revision.
 */
export function revision(template: V1PodTemplateSpec, referenceDigests: Readonly<Record<string, string>>): string {
  const text = canonicalJson({ podTemplate: withoutRevision(template), references: referenceDigests });
  return sha256Hex(text).slice(0, revisionLength);
}

/** A copy of the template without the revision annotation (and without an annotations map left empty by its removal). */
export function withoutRevision(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const annotations = { ...template.metadata?.annotations };
  delete annotations[revisionAnnotation];
  const metadata = { ...template.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...template, metadata };
}

/** The revision a template carries (e.g. one taken from an old ReplicaSet), if any. */
export function revisionOf(template: V1PodTemplateSpec | undefined): string | undefined {
  return template?.metadata?.annotations?.[revisionAnnotation];
}

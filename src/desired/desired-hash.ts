import { canonicalJson, sha256Hex } from './hash.ts';

// Every object the operator applies carries the hash of what it applied, so
// the plan can tell a field it stopped setting (src/reconcile/needs-apply.ts)
// and src/kube/apply.ts stamps it on each apply.

/** Annotation holding the hash of the desired object last applied (prometheus-operator's input-hash idea). */
export const desiredHashAnnotation = 'agent-operator.dev/desired-hash';

export interface ApplyObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** sha256 of the desired object, key order ignored, its own hash annotation excluded. */
export function desiredHash(desired: ApplyObject): string {
  const annotations = { ...desired.metadata.annotations };
  delete annotations[desiredHashAnnotation];
  const { status: _status, ...rest } = desired;
  const normalised = { ...rest, metadata: { ...desired.metadata, annotations } };
  return sha256Hex(canonicalJson(normalised)).slice(0, 32);
}

export function withDesiredHash(desired: ApplyObject): ApplyObject {
  return {
    ...desired,
    metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, [desiredHashAnnotation]: desiredHash(desired) } },
  };
}

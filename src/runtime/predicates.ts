import type { EventMeta } from './informer.ts';
import type { KubeObject } from './kube-object.ts';

/** Decides which informer events enqueue anything. A missing method lets the event through. */
export interface Predicate<T> {
  create?(obj: T, meta: EventMeta): boolean;
  update?(oldObj: T, newObj: T, meta: EventMeta): boolean;
  delete?(obj: T, meta: EventMeta): boolean;
}

/**
 * The filter for a primary resource (the Agent): an update passes when the
 * generation changed (the spec: controller-runtime's
 * GenerationChangedPredicate), so our own status writes, which bump
 * resourceVersion but not generation, never wake the controller up again.
 * Metadata a person or another tool changes does pass, because it can change
 * what reconcile must do: deletion starting, finalizers (another
 * controller's, holding a deletion), labels and annotations (e.g. a hold or
 * rollback request). The reconciler writes none of these on the primary (it
 * adds no finalizer: owned objects go by garbage collection). Creates and
 * deletes always pass.
 */
export const primaryChanged: Predicate<KubeObject> = {
  update: ({ metadata: o = {} }, { metadata: n = {} }) =>
    o.generation !== n.generation ||
    o.deletionTimestamp !== n.deletionTimestamp ||
    !sameList(o.finalizers, n.finalizers) ||
    !sameRecord(o.labels, n.labels) ||
    !sameRecord(o.annotations, n.annotations),
};

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a?.[k] === b?.[k]);
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

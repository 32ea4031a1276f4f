import type { EventMeta } from './informer.ts';
import type { KubeObject } from './kube-object.ts';

/** Decides which informer events enqueue anything. A missing method lets the event through. */
export interface Predicate<T> {
  create?(obj: T, meta: EventMeta): boolean;
  update?(oldObj: T, newObj: T, meta: EventMeta): boolean;
  delete?(obj: T, meta: EventMeta): boolean;
}

/** Passes updates only when metadata.generation changed, i.e. the spec changed (controller-runtime's GenerationChangedPredicate). */
export const generationChanged: Predicate<KubeObject> = {
  update: (o, n) => o.metadata?.generation !== n.metadata?.generation,
};

export const labelsChanged: Predicate<KubeObject> = {
  update: (o, n) => !sameRecord(o.metadata?.labels, n.metadata?.labels),
};

export const annotationsChanged: Predicate<KubeObject> = {
  update: (o, n) => !sameRecord(o.metadata?.annotations, n.metadata?.annotations),
};

export const finalizersChanged: Predicate<KubeObject> = {
  update: (o, n) => !sameList(o.metadata?.finalizers, n.metadata?.finalizers),
};

export const deletionChanged: Predicate<KubeObject> = {
  update: (o, n) => o.metadata?.deletionTimestamp !== n.metadata?.deletionTimestamp,
};

/**
 * The filter for a primary resource (the Agent). Our own status writes bump
 * resourceVersion but not generation, so they never wake the controller up
 * again. Metadata a person or another tool changes does pass, because it can
 * change what reconcile must do: deletion starting, finalizers (another
 * controller's, holding a deletion), labels and annotations (e.g. a hold or
 * rollback request). The reconciler writes none of these on the primary (it
 * adds no finalizer: owned objects go by garbage collection). Creates and
 * deletes always pass.
 */
export const primaryChanged: Predicate<KubeObject> = anyOf(
  generationChanged,
  deletionChanged,
  finalizersChanged,
  labelsChanged,
  annotationsChanged,
);

/** Passes an event when at least one predicate passes it. */
export function anyOf<T>(...predicates: Array<Predicate<T>>): Predicate<T> {
  return {
    create: (obj, meta) => predicates.some((p) => p.create?.(obj, meta) ?? true),
    update: (o, n, meta) => predicates.some((p) => p.update?.(o, n, meta) ?? true),
    delete: (obj, meta) => predicates.some((p) => p.delete?.(obj, meta) ?? true),
  };
}

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

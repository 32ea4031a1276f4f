import type { z } from 'zod';

/** One CEL rule as the apiserver takes it in `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  /** Names the field and the fix; shown verbatim by kubectl on refusal. */
  message?: string;
  /** Used instead of `message` when the text needs a value from the object. */
  messageExpression?: string;
  /** A JSONPath relative to the node the rule sits on, so the error points at the field. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Doc {
  /** Shown by `kubectl explain`; says the default when there is one. */
  description: string;
  rules?: CelRule[];
  /** Kubernetes OpenAPI extensions with no zod equivalent. */
  ext?: Record<`x-kubernetes-${string}`, unknown>;
  /** A map's bound (zod's record has none); the apiserver costs CEL rules on a map by it. */
  maxProperties?: number;
}

/**
 * Documents a schema node in one `.meta()` call: description, CEL rules and
 * Kubernetes extensions travel in zod's metadata and come out verbatim in the
 * generated CRD (one call, because a later `.meta()` replaces an earlier one).
 */
export function doc<T extends z.ZodType>(schema: T, d: Doc): T {
  const meta: Record<string, unknown> = { description: d.description, ...d.ext };
  if (d.maxProperties !== undefined) meta['maxProperties'] = d.maxProperties;
  if (d.rules?.length) meta['x-kubernetes-validations'] = d.rules;
  return schema.meta(meta) as T;
}

import { z } from 'zod';
import { doc } from './cel.ts';

/** A DNS-1123 subdomain object name (Secret, ConfigMap, Agent, Service names). */
export const objectName = (what: string) =>
  doc(z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/), {
    description: `Name of the ${what} in the Agent's namespace.`,
  });

/** A Secret/ConfigMap data key. */
export const dataKey = (what: string) =>
  doc(z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/), { description: `Key in the ${what}.` });

/**
 * A resource quantity; int-or-string like Kubernetes' own fields, so `cpu: 1`
 * and `memory: 256Mi` both work. CEL's `isQuantity` refuses text that the
 * kubelet would refuse later, naming the field.
 */
export const quantity = (description: string) =>
  doc(z.union([z.string().max(64), z.int()]), {
    description,
    ext: { 'x-kubernetes-int-or-string': true },
    rules: [{
      rule: 'isQuantity(string(self))',
      message: 'must be a Kubernetes quantity, for example 256Mi, 1Gi, 500m or 2',
    }],
  });

export const stringMap = (description: string) =>
  doc(z.record(z.string().max(317), z.string().max(4096)), { description });

/** A free-form object the operator passes through (affinity, tolerations, ...). */
export const freeForm = (description: string) =>
  doc(z.record(z.string(), z.unknown()), { description, ext: { 'x-kubernetes-preserve-unknown-fields': true } });

export const intOrString = (description: string) =>
  doc(z.union([z.string().max(63), z.int()]), { description, ext: { 'x-kubernetes-int-or-string': true } });

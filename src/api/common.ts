import { z } from 'zod';
import { deeperThan, maxFreeFormDepth, tooDeepText } from './bounds.ts';
import { doc } from './cel.ts';
import { isQuantity, parseQuantity } from '../lib/quantity.ts';

/** A DNS-1123 subdomain object name (Secret, ConfigMap, Agent, Service names). */
export const objectName = (what: string) =>
  doc(z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/), {
    description: `Name of the ${what} in the Agent's namespace.`,
  });

/**
 * A resource quantity; int-or-string like Kubernetes' own fields, so `cpu: 1`
 * and `memory: 256Mi` both work. Refused, in zod and in CEL (`isQuantity`),
 * naming the field: text that the kubelet would refuse later, and a value
 * below `min` — a negative quantity anywhere, and 0 where it makes no sense
 * (a volume of no size, a limit of nothing: the apiserver takes 0 and the
 * failure shows up far from the cause).
 */
export const quantity = (description: string, opts: { field: string; example: string; min: 'zero' | 'positive' }) => {
  const notQuantity = `${opts.field} must be a Kubernetes quantity, for example ${opts.example} (suffixes Ki Mi Gi, k M G, m)`;
  const tooSmall = opts.min === 'positive'
    ? `${opts.field} must be more than 0, for example ${opts.example}`
    : `${opts.field} must not be negative, for example ${opts.example} or 0`;
  const large = (v: string | number): boolean => (opts.min === 'positive' ? parseQuantity(v) > 0 : parseQuantity(v) >= 0);
  return doc(
    z.union([z.string().max(64), z.int()])
      .refine((v) => isQuantity(v), { message: notQuantity })
      .refine((v) => !isQuantity(v) || large(v), { message: tooSmall }),
    {
      description,
      ext: { 'x-kubernetes-int-or-string': true },
      rules: [
        { rule: 'isQuantity(string(self))', message: notQuantity },
        { rule: `!isQuantity(string(self)) || quantity(string(self)).compareTo(quantity('0')) ${opts.min === 'positive' ? '> 0' : '>= 0'}`, message: tooSmall },
      ],
    },
  );
};

export const stringMap = (description: string) =>
  doc(z.record(z.string().max(317), z.string().max(4096)), { description });

/** A free-form mapping the operator passes through (affinity, tolerations, ...), bounded in depth (src/api/bounds.ts says why the CRD cannot). */
export const freeForm = (description: string) =>
  doc(z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    if (deeperThan(value)) ctx.addIssue({ code: 'custom', message: `${tooDeepText}: flatten it (config data can move into a ConfigMap layer)` });
  }), { description: `${description} At most ${maxFreeFormDepth} levels deep.`, ext: { 'x-kubernetes-preserve-unknown-fields': true } });

export const intOrString = (description: string) =>
  doc(z.union([z.string().max(63), z.int()]), { description, ext: { 'x-kubernetes-int-or-string': true } });

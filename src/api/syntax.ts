import { z } from 'zod';
import { doc, type CelRule } from './cel.ts';

// Kubernetes syntax the objects built from an Agent must meet, refused on the
// Agent itself (zod for the operator, CEL for the apiserver, the same message)
// rather than at apply time, far from the cause. Each was found by the
// property tests (test/e2e/spec-dry-run.test.ts): the CRD took it, the apply
// of the Deployment or PDB built from it was refused.

/** Both checks at once: zod refinement and CEL rule with one message. */
function checked(schema: z.ZodString, test: (v: string) => boolean, rule: string, message: string, description: string) {
  return doc(schema.refine(test, { message }), { description, rules: [{ rule, message }] });
}

/** IANA_SVC_NAME: a port name needs a letter and no `--` (Kubernetes' own validation). */
export const portName = checked(
  z.string().min(1).max(15).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  (v) => /[a-z]/.test(v) && !v.includes('--'),
  "self.matches('[a-z]') && !self.contains('--')",
  'port name must contain a letter and no "--" (IANA service name, e.g. http or metrics-2)',
  'IANA service name style: lowercase letters, digits and single dashes, at least one letter, at most 15 characters.',
);

/** A ConfigMap or Secret key (Kubernetes' IsConfigMapKey): the kubelet refuses '.', '..' and a leading '..' (its own atomic-writer directories). */
export const dataKey = (what: string) => checked(
  z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/),
  (v) => v !== '.' && !v.startsWith('..'),
  "self != '.' && !self.startsWith('..')",
  `${what} key must not be '.' or start with '..' (the kubelet keeps its own files there): name the key as it is in the ${what}, e.g. token or agent.yaml`,
  `Key in the ${what}: letters, digits, '-', '_' and '.', not '.' and not starting with '..'.`,
);

/** The pod fields the kubelet resolves for an env var (downward API). */
export const podFieldPaths = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'] as const;
const labelOrAnnotationPath = /^metadata\.(labels|annotations)\['[^']+'\]$/;

export const fieldPath = checked(
  z.string().min(1).max(256),
  (v) => (podFieldPaths as readonly string[]).includes(v) || labelOrAnnotationPath.test(v),
  `self in [${podFieldPaths.map((p) => `'${p}'`).join(', ')}] || self.matches("^metadata\\\\.(labels|annotations)\\\\['[^']+'\\\\]$")`,
  `fieldRef.fieldPath must be a pod field the kubelet resolves: ${podFieldPaths.join(', ')}, or metadata.labels['KEY'] / metadata.annotations['KEY']`,
  `A pod field: ${podFieldPaths.join(', ')}, metadata.labels['KEY'] or metadata.annotations['KEY'].`,
);

/** A StorageClass name: a DNS-1123 subdomain, or empty for "no class" (a pre-provisioned volume). */
export const storageClassName = (description: string) =>
  doc(z.string().max(253).regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/), { description: `${description} A DNS subdomain (lowercase letters, digits, '-' and '.'), or "" for no class.` });

// Label syntax: an optional DNS-subdomain prefix and '/', then a name of at
// most 63 characters; values likewise at most 63, or empty.
const labelName = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const labelKeyRe = `^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${labelName}$`;
const labelValueRe = `^(${labelName})?$`;

const maxLabels = 64;

/** A map of labels (pod labels, a node selector) in label syntax, bounded for the CEL cost budget. */
export const labelMap = (field: string, description: string, extraRules: CelRule[] = []) => {
  const message = `${field} must be label syntax: keys [prefix/]name and values of at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric (e.g. team: observability)`;
  return doc(
    z.record(z.string().max(317), z.string().max(63))
      .refine((m) => Object.keys(m).length <= maxLabels, { message: `${field} takes at most ${maxLabels} entries` })
      .refine((m) => Object.entries(m).every(([k, v]) => new RegExp(labelKeyRe).test(k) && new RegExp(labelValueRe).test(v)), { message }),
    {
      description,
      maxProperties: maxLabels,
      rules: [{ rule: `self.all(k, k.matches('${labelKeyRe.replaceAll('\\', '\\\\')}') && self[k].matches('${labelValueRe.replaceAll('\\', '\\\\')}'))`, message }, ...extraRules],
    },
  );
};

/** A PodDisruptionBudget's minAvailable: a number ("2" too: src/desired/pdb.ts sends it as 2) or a percentage. */
export const minAvailable = (description: string) => {
  const message = 'disruption.minAvailable must be a number of pods or a percentage such as 50%';
  return doc(z.union([z.string().max(63).refine((v) => /^[0-9]+%?$/.test(v), { message }), z.int().min(0)]), {
    description, ext: { 'x-kubernetes-int-or-string': true },
    rules: [{ rule: "type(self) == int || string(self).matches('^[0-9]+%?$')", message }],
  });
};

import { z } from 'zod';
import { doc } from './cel.ts';
import { objectName } from './common.ts';
import { dataKey, fieldPath } from './syntax.ts';

/**
 * Names that almost always hold a secret. A literal `value` on such a name
 * puts the secret into the manifest (and into Git, and into `kubectl get -o yaml`).
 */
export const secretLookingName = '(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)';

/**
 * Literal values that cannot be a secret even on a secret-looking name: empty,
 * the name of another variable (`SECRET_ENV=AGENT_TOKEN` tells the agent which
 * variable holds the token), or a `$(VAR)` reference the kubelet expands from
 * another variable. Upper case only: `hunter2` or `s3cr3t` stay refused.
 */
// Bracket classes instead of backslash escapes: the same text is a valid RE2 pattern inside a CEL string literal.
// The value's length bound keeps this rule within the apiserver's CEL cost
// budget (a regex over 256 env entries of 32 KiB each was estimated 4.8x over).
export const notSecretValue = '^([A-Z_][A-Z0-9_]*|[$][(][A-Za-z_][A-Za-z0-9_]*[)])?$';

/** The zod twin of the CEL rule below, so the operator judges a spec the apiserver did not check (a CRD without its rules) the same way. */
export function literalSecret(e: { name: string; value?: string | undefined }): boolean {
  return e.value !== undefined && new RegExp(secretLookingName).test(e.name.toUpperCase()) && !new RegExp(notSecretValue).test(e.value);
}

const keyRef = (what: string) => doc(z.object({
  name: objectName(what),
  key: dataKey(what),
  optional: doc(z.boolean().optional(), { description: `When true a missing ${what} or key leaves the variable unset instead of holding the rollout. Default false.` }),
}), { description: `A key of a ${what} in the Agent's namespace.` });

export const EnvVar = doc(
  z.object({
    name: doc(z.string().min(1).max(256).regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/), { description: 'Environment variable name.' }),
    value: doc(z.string().max(4096).optional(), { description: 'A literal value, at most 4096 characters (a longer one belongs in a ConfigMap: valueFrom.configMapKeyRef). Refused on secret-looking names (PASSWORD, TOKEN, API_KEY, ...): use valueFrom.secretKeyRef. Allowed there only when it cannot be a secret: empty, the name of another variable (upper case, e.g. AGENT_TOKEN), or a $(VAR) reference.' }),
    valueFrom: doc(z.object({
      secretKeyRef: keyRef('Secret').optional(),
      configMapKeyRef: keyRef('ConfigMap').optional(),
      fieldRef: doc(z.object({
        fieldPath,
      }).optional(), { description: 'A field of the pod.' }),
    }).optional(), {
      description: 'Where the value comes from; a change of the referenced key rolls the pods.',
      rules: [{ rule: '[has(self.secretKeyRef), has(self.configMapKeyRef), has(self.fieldRef)].filter(x, x).size() == 1', message: 'set exactly one of secretKeyRef, configMapKeyRef or fieldRef in valueFrom' }],
    }),
  }).refine((e) => !literalSecret(e), {
    path: ['value'],
    error: (iss) => `env ${(iss.input as { name: string }).name} looks like a secret but has a literal value, which puts the secret in the manifest: store it in a Secret and use valueFrom.secretKeyRef {name, key} instead`,
  }),
  {
    description: 'An environment variable: a literal value, or a value from a Secret, ConfigMap or pod field.',
    rules: [
      { rule: '!(has(self.value) && has(self.valueFrom))', message: 'set either value or valueFrom, not both' },
      {
        rule: `!has(self.value) || !self.name.upperAscii().matches('${secretLookingName}') || self.value.matches('${notSecretValue}')`,
        messageExpression: `'env ' + self.name + ' looks like a secret but has a literal value, which puts the secret in the manifest: store it in a Secret and use valueFrom.secretKeyRef {name, key} instead'`,
        fieldPath: '.value',
        reason: 'FieldValueForbidden',
      },
    ],
  },
);
export type EnvVar = z.infer<typeof EnvVar>;

export const EnvFromSource = doc(
  z.object({
    prefix: doc(z.string().max(64).regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/).optional(), { description: 'Prepended to every variable name.' }),
    secretRef: doc(z.object({ name: objectName('Secret'), optional: z.boolean().optional() }).optional(), { description: 'Every key of a Secret as a variable.' }),
    configMapRef: doc(z.object({ name: objectName('ConfigMap'), optional: z.boolean().optional() }).optional(), { description: 'Every key of a ConfigMap as a variable.' }),
  }),
  {
    description: 'All keys of a Secret or ConfigMap as environment variables.',
    rules: [{ rule: 'has(self.secretRef) != has(self.configMapRef)', message: 'set exactly one of secretRef or configMapRef in each envFrom entry' }],
  },
);
export type EnvFromSource = z.infer<typeof EnvFromSource>;

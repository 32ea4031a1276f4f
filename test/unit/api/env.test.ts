import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvVar, notSecretValue } from '../../../src/api/env.ts';

// The literal-secret rule judges the value as well as the name: a value that
// cannot be a secret is fine on a secret-looking name (issue 17, defect 10).

const refused = (name: string, value: string) => {
  const r = EnvVar.safeParse({ name, value });
  return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('a literal value on a secret-looking env name', () => {
  it('is refused when it could be the secret itself, naming the field and the fix', () => {
    for (const value of ['hunter2', 's3cr3t-T0KEN', 'Bearer abc', 'AGENT TOKEN']) {
      assert.match(refused('API_TOKEN', value) ?? 'accepted', /^value: env API_TOKEN looks like a secret but has a literal value.*valueFrom\.secretKeyRef/, value);
    }
  });

  it('is accepted when it names another variable, is empty, or is a $(VAR) reference', () => {
    for (const [name, value] of [['SECRET_ENV', 'AGENT_TOKEN'], ['TOKEN_VAR', '_TOKEN_2'], ['API_KEY', ''], ['PASSWORD', '$(DB_PASSWORD)'], ['password_file', '$(pw)']]) {
      assert.equal(refused(name!, value!), undefined, `${name}=${value}`);
    }
  });

  it('is accepted on a name that does not look secret, whatever the value', () => {
    assert.equal(refused('MODE', 'hunter2'), undefined);
  });

  it('uses a pattern with no backslash, so the CEL rule carries it verbatim in a string literal', () => {
    assert.ok(!notSecretValue.includes('\\'));
    const cel = (EnvVar.meta() as { 'x-kubernetes-validations': { rule: string }[] })['x-kubernetes-validations'].find((r) => r.rule.includes('upperAscii'))!.rule;
    assert.ok(cel.includes(`self.value.matches('${notSecretValue}')`), cel);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { secretChangesSince, secretChangesText, secretDigestsValue, type SecretChange } from '../../../src/desired/secret-digests.ts';

const d = (c: string) => c.repeat(64);
const built = (digests: Record<string, string>): V1PodTemplateSpec => {
  const value = secretDigestsValue(digests);
  return { metadata: { annotations: value ? { 'agent-operator.dev/secret-digests': value } : {} } };
};

describe('secret digests recorded on a revision', () => {
  it('records only Secret references, as 16-hex prefixes, in canonical order', () => {
    assert.equal(secretDigestsValue({ 'Secret/db/password': d('a'), 'ConfigMap/settings/x': d('b'), 'Secret/api': d('c') }),
      `{"Secret/api":"${'c'.repeat(16)}","Secret/db/password":"${'a'.repeat(16)}"}`);
    assert.equal(secretDigestsValue({ 'ConfigMap/settings/x': d('b') }), undefined, 'no Secret: no annotation');
  });

  const table: [string, V1PodTemplateSpec | undefined, Record<string, string>, { kind: string; name: string; key?: string }[], SecretChange[]][] = [
    ['nothing changed: nothing to say', built({ 'Secret/db/password': d('a') }), { 'Secret/db/password': d('a') }, [], []],
    ['a rotated key is named', built({ 'Secret/db/password': d('a'), 'Secret/db/user': d('b') }), { 'Secret/db/password': d('z'), 'Secret/db/user': d('b') }, [],
      [{ secret: 'db', key: 'password', change: 'changed' }]],
    ['a whole Secret (envFrom) that changed is named without a key', built({ 'Secret/api': d('a') }), { 'Secret/api': d('c') }, [], [{ secret: 'api', change: 'changed' }]],
    ['a key now missing is gone', built({ 'Secret/db/password': d('a') }), {}, [{ kind: 'Secret', name: 'db', key: 'password' }], [{ secret: 'db', key: 'password', change: 'gone' }]],
    ['a key of a Secret now missing altogether is gone', built({ 'Secret/db/password': d('a') }), {}, [{ kind: 'Secret', name: 'db' }], [{ secret: 'db', key: 'password', change: 'gone' }]],
    ['a key the spec no longer reads was not read now: unknown, not claimed changed', built({ 'Secret/old/token': d('a') }), {}, [], [{ secret: 'old', key: 'token', change: 'unknown' }]],
    ['a template from before the record existed gives nothing to compare', { metadata: {} }, { 'Secret/db/password': d('z') }, [], []],
    ['no rollback target found: nothing', undefined, {}, [], []],
  ];
  for (const [title, target, current, missing, expected] of table) {
    it(title, () => assert.deepEqual(secretChangesSince(target, current, missing), expected));
  }

  it('says which Secret and key changed and that the current content runs, never a value', () => {
    const text = secretChangesText('abc123', [{ secret: 'db', key: 'password', change: 'changed' }, { secret: 'api', change: 'gone' }, { secret: 'old', key: 't', change: 'unknown' }])!;
    assert.match(text, /^Secret db key password, Secret api \(now missing\) changed since revision abc123 was built, and the current content is what runs; Secret old key t, which revision abc123 reads, is no longer in the spec and was not compared \(Secrets are not versioned/);
    assert.equal(secretChangesText('abc123', []), undefined);
  });
});

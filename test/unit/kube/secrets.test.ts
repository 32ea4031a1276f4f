import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { apiObjectReader, readReferencedDigests, scrubSecretValues, type ObjectReader } from '../../../src/kube/secrets.ts';
import { fakeClient, notFound } from './fake-http.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface World {
  secrets: Record<string, { uid: string; data: Record<string, string> }>;
  configMaps: Record<string, { data?: Record<string, string>; binaryData?: Record<string, string> }>;
}

/** A reader over an in-memory namespace, counting reads. */
function fakeReader(world: World): ObjectReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async readSecret(ns, name) {
      reads.push(`Secret ${ns}/${name}`);
      const s = world.secrets[name];
      return s && { uid: s.uid, data: { ...s.data } };
    },
    async readConfigMap(ns, name) {
      reads.push(`ConfigMap ${ns}/${name}`);
      const c = world.configMaps[name];
      return c && { data: { ...c.data }, binaryData: { ...c.binaryData } };
    },
  };
}

const TOKEN = 'tok-8c1d2e-very-secret';
const world = (): World => ({
  secrets: {
    api: { uid: 'uid-api', data: { token: b64(TOKEN), other: b64('unrelated') } },
    db: { uid: 'uid-db', data: { password: b64('hunter2') } },
  },
  configMaps: {
    base: { data: { 'config.yaml': 'inputs: [tail]\n', other: 'x' } },
    bin: { binaryData: { 'blob.yaml': b64('a: 1\n') } },
  },
});

describe('readReferencedDigests', () => {
  it('gives a digest for each referenced key and whole object, and the ConfigMap layer texts', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', {
      secrets: [{ name: 'api', key: 'token' }, { name: 'db' }],
      configMaps: [{ name: 'base', key: 'config.yaml' }, { name: 'bin', key: 'blob.yaml' }, { name: 'base' }],
    });
    assert.deepEqual(Object.keys(r.digests).sort(), ['ConfigMap/base', 'ConfigMap/base/config.yaml', 'ConfigMap/bin/blob.yaml', 'Secret/api/token', 'Secret/db']);
    for (const d of Object.values(r.digests)) assert.match(d, /^[0-9a-f]{64}$/);
    assert.deepEqual(r.configMapTexts, { 'base/config.yaml': 'inputs: [tail]\n', 'bin/blob.yaml': 'a: 1\n' });
    assert.deepEqual(r.missing, []);
  });

  it('never lets a secret value or its base64 out', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', {
      secrets: [{ name: 'api', key: 'token' }, { name: 'api' }, { name: 'db', key: 'password' }],
      configMaps: [],
    });
    const text = JSON.stringify(r);
    for (const leak of [TOKEN, b64(TOKEN), 'hunter2', b64('hunter2')]) assert.ok(!text.includes(leak), leak);
  });

  it('does not give the bare sha256 of a secret value, which could be brute-forced from a Deployment', async () => {
    const { createHash } = await import('node:crypto');
    const r = await readReferencedDigests(fakeReader(world()), 'ns', { secrets: [{ name: 'db', key: 'password' }], configMaps: [] });
    assert.notEqual(r.digests['Secret/db/password'], createHash('sha256').update('hunter2').digest('hex'));
  });

  it('changes the digest of a rotated key and of the whole Secret, and nothing else', async () => {
    const refs = { secrets: [{ name: 'api', key: 'token' }, { name: 'api', key: 'other' }, { name: 'api' }], configMaps: [] };
    const before = await readReferencedDigests(fakeReader(world()), 'ns', refs);
    const w = world();
    w.secrets['api']!.data['token'] = b64('rotated');
    const after = await readReferencedDigests(fakeReader(w), 'ns', refs);
    assert.notEqual(after.digests['Secret/api/token'], before.digests['Secret/api/token']);
    assert.notEqual(after.digests['Secret/api'], before.digests['Secret/api']);
    assert.equal(after.digests['Secret/api/other'], before.digests['Secret/api/other']);
  });

  it('keeps a key digest when an unrelated key or an unrelated Secret changes', async () => {
    const refs = { secrets: [{ name: 'api', key: 'token' }], configMaps: [{ name: 'base', key: 'config.yaml' }] };
    const before = await readReferencedDigests(fakeReader(world()), 'ns', refs);
    const w = world();
    w.secrets['api']!.data['other'] = b64('changed');
    w.secrets['db']!.data['password'] = b64('changed');
    w.configMaps['base']!.data!['other'] = 'changed';
    assert.deepEqual((await readReferencedDigests(fakeReader(w), 'ns', refs)).digests, before.digests);
  });

  it('is the same in every process, so a restarted or upgraded operator rolls no pods', async () => {
    // Two reads in one process would agree even with a per-process key; these
    // values were computed once and must not move: each is in a pod template's
    // revision hash. A key's digest is HMAC-SHA256 of its value keyed with the uid.
    const refs = { secrets: [{ name: 'api', key: 'token' }, { name: 'db' }], configMaps: [{ name: 'base' }] };
    const { digests } = await readReferencedDigests(fakeReader(world()), 'ns', refs);
    assert.deepEqual(digests, {
      'Secret/api/token': createHmac('sha256', 'uid-api').update(TOKEN).digest('hex'),
      'Secret/db': 'dee55a41e8513ee57887e340a6467a5cd46521520003f6d9fd48201d15964ce3',
      'ConfigMap/base': '02bf3fb579129431abb89e1dafd59298bdc8c4292e19a506abf79dbf510ec5f9',
    });
  });

  it('changes the digest when a Secret is deleted and re-created with the same value', async () => {
    const refs = { secrets: [{ name: 'api', key: 'token' }], configMaps: [] };
    const before = await readReferencedDigests(fakeReader(world()), 'ns', refs);
    const w = world();
    w.secrets['api']!.uid = 'uid-api-2';
    assert.notEqual((await readReferencedDigests(fakeReader(w), 'ns', refs)).digests['Secret/api/token'], before.digests['Secret/api/token']);
  });

  it('tells apart two whole objects whose keys and values run together alike', async () => {
    const w = world();
    w.configMaps['x'] = { data: { ab: 'c' } };
    w.configMaps['y'] = { data: { a: 'bc' } };
    const r = await readReferencedDigests(fakeReader(w), 'ns', { secrets: [], configMaps: [{ name: 'x' }, { name: 'y' }] });
    assert.notEqual(r.digests['ConfigMap/x'], r.digests['ConfigMap/y']);
  });

  it('names each missing object and key, required unless every reference to it is optional', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', {
      secrets: [
        { name: 'gone' },
        { name: 'api', key: 'nope' },
        { name: 'api', key: 'maybe', optional: true },
        { name: 'api', key: 'both', optional: true },
        { name: 'api', key: 'both' },
      ],
      configMaps: [{ name: 'base', key: 'missing.yaml' }, { name: 'absent', key: 'k', optional: true }],
    });
    assert.deepEqual(r.missing, [
      // a missing object is named once, without a key: "ConfigMap absent does not exist", not "has no key k"
      { kind: 'ConfigMap', name: 'absent', optional: true },
      { kind: 'ConfigMap', name: 'base', key: 'missing.yaml', optional: false },
      { kind: 'Secret', name: 'api', key: 'both', optional: false },
      { kind: 'Secret', name: 'api', key: 'maybe', optional: true },
      { kind: 'Secret', name: 'api', key: 'nope', optional: false },
      { kind: 'Secret', name: 'gone', optional: false },
    ]);
    assert.equal(r.digests['Secret/api/nope'], undefined);
  });

  it('names a missing ConfigMap key that is also the name of an object property (toString, constructor) missing, not a crash', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', {
      secrets: [{ name: 'api', key: 'toString' }],
      configMaps: [{ name: 'base', key: 'toString' }, { name: 'base', key: 'constructor', optional: true }],
    });
    assert.deepEqual(r.missing, [
      { kind: 'ConfigMap', name: 'base', key: 'constructor', optional: true },
      { kind: 'ConfigMap', name: 'base', key: 'toString', optional: false },
      { kind: 'Secret', name: 'api', key: 'toString', optional: false },
    ]);
  });

  it('reads each distinct object once', async () => {
    const reader = fakeReader(world());
    await readReferencedDigests(reader, 'ns', {
      secrets: [{ name: 'api', key: 'token' }, { name: 'api', key: 'other' }, { name: 'api' }],
      configMaps: [{ name: 'base', key: 'config.yaml' }, { name: 'base' }],
    });
    assert.deepEqual(reader.reads, ['Secret ns/api', 'ConfigMap ns/base']);
  });

  it('reads nothing when nothing is referenced', async () => {
    const reader = fakeReader(world());
    assert.deepEqual(await readReferencedDigests(reader, 'ns', { secrets: [], configMaps: [] }), { digests: {}, missing: [], configMapTexts: {} });
    assert.deepEqual(reader.reads, []);
  });
});

describe('apiObjectReader', () => {
  it('reads Secrets and ConfigMaps by targeted GETs and maps 404 to undefined', async () => {
    const { client, sent } = fakeClient((req) => {
      if (req.url.pathname === '/api/v1/namespaces/ns/secrets/api') {
        return { status: 200, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api', uid: 'u1' }, data: { token: b64('x') } } };
      }
      if (req.url.pathname === '/api/v1/namespaces/ns/configmaps/base') {
        return { status: 200, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'base' }, data: { a: 'b' } } };
      }
      return notFound();
    });
    const reader = apiObjectReader(client);
    assert.deepEqual(await reader.readSecret('ns', 'api'), { uid: 'u1', data: { token: b64('x') } });
    assert.deepEqual(await reader.readConfigMap('ns', 'base'), { data: { a: 'b' }, binaryData: {} });
    assert.equal(await reader.readSecret('ns', 'missing'), undefined);
    assert.equal(await reader.readConfigMap('ns', 'missing'), undefined);
    assert.deepEqual(sent.map((r) => r.method), ['GET', 'GET', 'GET', 'GET']);
  });

  it('lets other errors through', async () => {
    const { client } = fakeClient(() => ({ status: 403, body: { kind: 'Status', reason: 'Forbidden', code: 403, message: 'secrets "api" is forbidden' } }));
    await assert.rejects(apiObjectReader(client).readSecret('ns', 'api'), /forbidden/);
  });
});

describe('scrubSecretValues: no referenced Secret value survives in a text', () => {
  const values = new Map([['tok-8c1d2e-very-secret', 'api/token'], ['hunter2\n', 'db/password'], ['tok-8c1d2e', 'api/short']]);
  const cases: { name: string; text: string; want: string }[] = [
    { name: 'an exact occurrence is replaced and named', text: 'using token tok-8c1d2e-very-secret to log in', want: 'using token <redacted Secret api/token> to log in' },
    { name: 'every occurrence is replaced', text: 'a=tok-8c1d2e-very-secret b=tok-8c1d2e-very-secret', want: 'a=<redacted Secret api/token> b=<redacted Secret api/token>' },
    { name: 'the longer value wins where one contains another', text: 'x tok-8c1d2e-very-secret y tok-8c1d2e z', want: 'x <redacted Secret api/token> y <redacted Secret api/short> z' },
    { name: 'a value read with a trailing newline is found without it', text: 'password hunter2 rejected', want: 'password <redacted Secret db/password> rejected' },
    { name: 'a log tail that starts inside a value hides the part', text: 'ry-secret\nerror: unauthorized', want: '<redacted Secret api/token>\nerror: unauthorized' },
    { name: 'a program killed mid-write hides the part it wrote', text: 'error: token tok-8c1', want: 'error: token <redacted Secret api/token>' },
    { name: 'fewer than 4 characters at an edge are left (chance matches)', text: 'ret is fine', want: 'ret is fine' },
    { name: 'regex characters in a value are matched literally', text: 'k=a.b*c', want: 'k=<redacted Secret x/y>' },
    { name: 'nothing to hide leaves the text alone', text: 'all good', want: 'all good' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const vs = c.name.startsWith('regex') ? new Map([['a.b*c', 'x/y']]) : values;
      assert.equal(scrubSecretValues(c.text, vs), c.want);
    });
  }

  it('an empty value hides nothing (and breaks nothing)', () => {
    assert.equal(scrubSecretValues('text', new Map([['', 'e/k'], [' \n', 'e/w']])), 'text');
    assert.equal(scrubSecretValues('text', new Map([['', 'e/k']])), 'text', 'only empty values: nothing to look for');
    assert.equal(scrubSecretValues('text', new Map()), 'text');
  });
});

describe('readReferencedDigests with texts to scrub', () => {
  it('returns the texts with the values of referenced keys and whole Secrets replaced', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', { secrets: [{ name: 'api', key: 'token' }, { name: 'db' }], configMaps: [] }, {
      a: `token=${TOKEN}\nfatal: unauthorized`, b: 'db password hunter2 refused', c: 'unrelated stays',
    });
    assert.deepEqual(r.scrubbed, {
      a: 'token=<redacted Secret api/token>\nfatal: unauthorized',
      b: 'db password <redacted Secret db/password> refused',
      c: 'unrelated stays',
    });
  });

  it('a key the Agent does not reference is not scrubbed: the pod never had it', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', { secrets: [{ name: 'api', key: 'token' }], configMaps: [] }, { a: 'unrelated' });
    assert.equal(r.scrubbed?.['a'], 'unrelated');
  });

  it('withholds every text when a referenced Secret cannot be read: its value is unknown', async () => {
    const r = await readReferencedDigests(fakeReader(world()), 'ns', { secrets: [{ name: 'api', key: 'token' }, { name: 'gone', optional: true }], configMaps: [] }, { a: `token=${TOKEN}` });
    assert.equal(r.scrubbed, undefined);
    assert.ok(!JSON.stringify(r).includes(TOKEN));
  });

  it('reads nothing more than without texts', async () => {
    const refs = { secrets: [{ name: 'api', key: 'token' }], configMaps: [] };
    const plain = fakeReader(world());
    const scrubbing = fakeReader(world());
    await readReferencedDigests(plain, 'ns', refs);
    await readReferencedDigests(scrubbing, 'ns', refs, { a: 'x' });
    assert.deepEqual(scrubbing.reads, plain.reads);
  });
});

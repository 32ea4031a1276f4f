import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { lastWordsMaxBytes, tailOf, terminationKey, terminationMessages } from '../../../src/health/last-words.ts';

describe('tailOf: the bounded tail of a termination message', () => {
  const cases: { name: string; message: string; want: string | undefined }[] = [
    { name: 'one line is kept as it is', message: "error: output.host: no such host 'logs.example.internal'\n", want: "error: output.host: no such host 'logs.example.internal'" },
    { name: 'only the last 5 non-empty lines are kept', message: 'a\nb\n\nc\nd\ne\nf\ng\n\n', want: 'c\nd\ne\nf\ng' },
    { name: 'CRLF and trailing blanks are normalised', message: 'one  \r\ntwo\r\n', want: 'one\ntwo' },
    { name: 'whitespace only is no last words', message: ' \n\t\n', want: undefined },
    { name: 'empty is no last words', message: '', want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(tailOf(c.message), c.want));

  it('keeps at most 1 KiB, cutting the first kept line from its start and marking it', () => {
    const long = 'x'.repeat(2000);
    const t = tailOf(`start\n${long}\nthe end`)!;
    assert.ok(Buffer.byteLength(t, 'utf8') <= lastWordsMaxBytes, `${Buffer.byteLength(t)} bytes`);
    assert.match(t, /^…x+\nthe end$/);
    assert.ok(!t.includes('start'));
  });

  it('never splits a multi-byte character at the cut', () => {
    const t = tailOf('é'.repeat(1000))!;
    assert.ok(Buffer.byteLength(t, 'utf8') <= lastWordsMaxBytes);
    assert.ok(!t.includes('\uFFFD'));
    assert.match(t, /^…é+$/);
  });

  it('keeps the last line whole and cuts the earlier one that no longer fits', () => {
    const t = tailOf(`${'y'.repeat(600)}\n${'z'.repeat(600)}`)!;
    assert.match(t, /^…y+\nz{600}$/);
    assert.ok(Buffer.byteLength(t, 'utf8') <= lastWordsMaxBytes);
  });
});

describe('terminationMessages', () => {
  it('collects the messages of state and lastState under the same key either way', () => {
    const record = { exitCode: 2, reason: 'Error', message: 'boom\n', containerID: 'containerd://abcdef0123456789', finishedAt: new Date('2026-11-30T10:00:00Z') };
    const pod = (where: 'state' | 'lastState'): V1Pod => ({
      metadata: { name: 'p', uid: 'u1' },
      status: { containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: false, restartCount: 1, [where]: { terminated: record } }] },
    });
    const key = terminationKey('u1', 'agent', record);
    assert.deepEqual(terminationMessages([pod('state')]), { [key]: 'boom\n' });
    assert.deepEqual(terminationMessages([pod('lastState')]), { [key]: 'boom\n' });
    assert.equal(key, 'u1/agent/abcdef0123456789');
  });

  it('skips containers that left no message', () => {
    const pod: V1Pod = { metadata: { uid: 'u' }, status: { containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, message: '  ' } } }] } };
    assert.deepEqual(terminationMessages([pod]), {});
  });
});

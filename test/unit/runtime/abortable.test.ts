import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortable } from '../../../src/runtime/abortable.ts';

describe('abortable', () => {
  it('rejects at once on abort while the call keeps hanging', async () => {
    const ac = new AbortController();
    const pending = abortable(new Promise(() => {}), ac.signal);
    ac.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  });

  it('handles the rejection of a call made with an already-aborted signal', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const ac = new AbortController();
      ac.abort();
      const call = new Promise((_r, reject) => setImmediate(() => reject(new Error('fetch aborted'))));
      await assert.rejects(abortable(call, ac.signal), { name: 'AbortError' });
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('passes results and errors through when not aborted', async () => {
    const signal = new AbortController().signal;
    assert.equal(await abortable(Promise.resolve(7), signal), 7);
    await assert.rejects(abortable(Promise.reject(new Error('x')), signal), /x/);
  });
});

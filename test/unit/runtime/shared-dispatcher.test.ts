import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext } from '@kubernetes/client-node';
import { SharedDispatcher } from '../../../src/runtime/shared-dispatcher.ts';

/** A stand-in for the undici Agent client-node puts on each request: records whether it was closed. */
function fakeDispatcher(name: string) {
  return { name, closed: false, close() { this.closed = true; return Promise.resolve(); } };
}
function request(d: ReturnType<typeof fakeDispatcher>): RequestContext {
  const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', 'GET');
  ctx.setDispatcher(d as never);
  return ctx;
}

describe('SharedDispatcher', () => {
  it('puts the first request\'s dispatcher on every later request and closes the unused fresh ones', () => {
    const shared = new SharedDispatcher({ now: () => 0 });
    const first = fakeDispatcher('first');
    const a = request(first);
    shared.adopt(a);
    const second = fakeDispatcher('second');
    const b = request(second);
    shared.adopt(b);
    assert.equal(a.getDispatcher(), first as never);
    assert.equal(b.getDispatcher(), first as never, 'reused: one kept-alive pool');
    assert.equal(second.closed, true);
    assert.equal(first.closed, false);
  });

  it('replaces the shared one after maxAge, so rotated certificates are picked up, and closes the old one gracefully', () => {
    let now = 0;
    const shared = new SharedDispatcher({ maxAgeMs: 1000, now: () => now });
    const first = fakeDispatcher('first');
    shared.adopt(request(first));
    now = 1000;
    const renewed = fakeDispatcher('renewed');
    const ctx = request(renewed);
    shared.adopt(ctx);
    assert.equal(ctx.getDispatcher(), renewed as never);
    assert.equal(first.closed, true);
    assert.equal(renewed.closed, false);
  });

  it('leaves a request without a dispatcher (plain http) alone', () => {
    const ctx = new RequestContext('http://127.0.0.1:8080/api', 'GET');
    new SharedDispatcher().adopt(ctx);
    assert.equal(ctx.getDispatcher(), undefined);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext } from '@kubernetes/client-node';
import { SharedDispatcher } from '../../../src/runtime/shared-dispatcher.ts';

type Dispatch = (opts: Record<string, unknown>, handler: unknown) => boolean;

/**
 * A stand-in for the undici Agent client-node puts on each request: records
 * whether it was closed and the options it was asked to dispatch with;
 * compose() wraps it the way undici's does (same pool, another dispatch).
 */
function fakeDispatcher(name: string) {
  const d = {
    name, closed: false, dispatched: [] as Record<string, unknown>[],
    close() { d.closed = true; return Promise.resolve(); },
    dispatch(opts: Record<string, unknown>) { d.dispatched.push(opts); return true; },
    compose(interceptor: (dispatch: Dispatch) => Dispatch) { return { ...d, pool: d, dispatch: interceptor(d.dispatch), close: d.close }; },
  };
  return d;
}
/** The pool behind what a request carries (the composed dispatcher or the fake itself). */
const pool = (ctx: RequestContext) => { const d = ctx.getDispatcher() as unknown as { pool?: unknown }; return d.pool ?? d; };
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
    assert.equal(pool(a), first);
    assert.equal(pool(b), first, 'reused: one kept-alive pool');
    assert.equal(a.getDispatcher(), b.getDispatcher());
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
    assert.equal(pool(ctx), renewed);
    assert.equal(first.closed, true);
    assert.equal(renewed.closed, false);
  });

  it('asks for HTTP/1.1 on every request: over HTTP/2 every watch and write would share one connection, and one wedged connection would stall them all', () => {
    const shared = new SharedDispatcher({ now: () => 0 });
    const first = fakeDispatcher('first');
    const ctx = request(first);
    shared.adopt(ctx);
    (ctx.getDispatcher() as unknown as { dispatch: Dispatch }).dispatch({ origin: 'https://127.0.0.1:6443', path: '/api' }, {});
    assert.deepEqual(first.dispatched, [{ origin: 'https://127.0.0.1:6443', path: '/api', allowH2: false }]);
  });

  it('leaves a request without a dispatcher (plain http) alone', () => {
    const ctx = new RequestContext('http://127.0.0.1:8080/api', 'GET');
    new SharedDispatcher().adopt(ctx);
    assert.equal(ctx.getDispatcher(), undefined);
  });
});

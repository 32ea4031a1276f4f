import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, redactPaths } from '../../../src/observability/logger.ts';

/** An in-memory destination: every line the logger writes, as text. */
function sink(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

const SECRET = 's3cr3t-V4LUE-9f1c';
const b64 = Buffer.from(SECRET).toString('base64');

describe('createLogger', () => {
  it('writes one JSON line with a level name, an ISO time and the message', () => {
    const out = sink();
    createLogger({ level: 'info', destination: out.stream }).info({ workers: 2 }, 'started');
    const [line] = out.lines();
    const parsed = JSON.parse(line ?? '');
    assert.equal(parsed.level, 'info');
    assert.equal(parsed.msg, 'started');
    assert.equal(parsed.workers, 2);
    assert.match(parsed.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(parsed.pid, undefined);
  });

  it('drops lines below the configured level', () => {
    const out = sink();
    const log = createLogger({ level: 'warn', destination: out.stream });
    log.info('quiet');
    log.warn('loud');
    assert.deepEqual(out.lines().map((l) => JSON.parse(l).msg), ['loud']);
  });

  const leaks: [string, Record<string, unknown>][] = [
    ['Secret data', { secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api' }, data: { token: b64, plain: SECRET } } }],
    ['Secret stringData', { obj: { kind: 'Secret', stringData: { password: SECRET } } }],
    ['a Secret logged at the top level', { kind: 'Secret', data: { key: SECRET } }],
    ['a token', { token: SECRET }],
    ['a nested token', { err: { response: { body: { token: SECRET } } } }],
    ['a password', { db: { password: SECRET } }],
    ['an authorization header', { req: { headers: { authorization: `Bearer ${SECRET}` } } }],
    ['an Authorization header', { headers: { Authorization: `Bearer ${SECRET}` } }],
    ['an Agent env literal', { agent: { spec: { env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'X', value: SECRET }] } } }],
    ['a container env literal', { container: { name: 'agent', env: [{ name: 'X', value: SECRET }] } }],
    ['a Deployment env literal', {
      desired: {
        kind: 'Deployment',
        spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: SECRET }] }], initContainers: [{ name: 'i', env: [{ name: 'Y', value: SECRET }] }] } } },
      },
    }],
  ];
  for (const [where, obj] of leaks) {
    it(`keeps ${where} out of the log line`, () => {
      const out = sink();
      createLogger({ level: 'trace', destination: out.stream }).info(obj, 'logged an object');
      const text = out.lines().join('\n');
      assert.ok(text.includes('logged an object'));
      assert.ok(!text.includes(SECRET), text);
      assert.ok(!text.includes(b64), text);
      assert.ok(text.includes('[REDACTED]'), text);
    });
  }

  it('keeps secrets out of child bindings and reconcile loggers too', () => {
    const out = sink();
    const base = createLogger({ level: 'info', destination: out.stream });
    base.child({ token: SECRET }).child({ reconcileID: 'r', namespace: 'ns', name: 'a' }).child({ secret: { data: { k: b64 } } }).info('x');
    const text = out.lines().join('\n');
    assert.ok(!text.includes(SECRET) && !text.includes(b64), text);
  });

  it('leaves the logged object itself untouched', () => {
    const obj = { token: SECRET };
    createLogger({ level: 'info', destination: sink().stream }).info(obj);
    assert.equal(obj.token, SECRET);
  });

  it('covers each secret key under four levels of nesting', () => {
    assert.ok(redactPaths().includes('*.*.*.*.token'));
    assert.ok(redactPaths().includes('*.spec.template.spec.containers[*].env[*].value'));
  });
});

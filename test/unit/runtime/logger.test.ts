import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Logger } from '../../../src/runtime/logger.ts';

describe('Logger', () => {
  it('is satisfied by a pino logger as is, child bindings included', () => {
    const lines: string[] = [];
    const logger: Logger = pino({ base: null, timestamp: false }, { write: (l: string) => lines.push(l) });
    logger.child({ controller: 'agent' }).info({ step: 1 }, 'hello');
    assert.deepEqual(JSON.parse(lines[0]!), { level: 30, controller: 'agent', step: 1, msg: 'hello' });
  });
});

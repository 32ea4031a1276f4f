import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../../support/scratch.ts';

describe('the test process scratch folders', () => {
  it('makes one folder per prefix under the temp folder and hands the same one out again', () => {
    const a = scratchDir('agent-operator-scratch-test-a-');
    assert.ok(a.startsWith(join(tmpdir(), 'agent-operator-scratch-test-a-')) && statSync(a).isDirectory(), a);
    assert.equal(scratchDir('agent-operator-scratch-test-a-'), a);
    assert.notEqual(scratchDir('agent-operator-scratch-test-b-'), a);
  });

  it('removes its folders when the process exits', () => {
    const script = `import { scratchDir } from ${JSON.stringify(join(import.meta.dirname, '../../support/scratch.ts'))};
process.stdout.write(scratchDir('agent-operator-scratch-test-exit-'));`;
    const dir = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.ok(dir.includes('agent-operator-scratch-test-exit-'), dir);
    assert.equal(existsSync(dir), false, `${dir} is gone`);
  });
});

// The plugin's output pinned by golden files: what a user reads and what a
// script parses (-o json) change only on purpose. Regenerate with
// `UPDATE_GOLDEN=1 node --test test/unit/cli/golden.test.ts` and read the diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHistory, history } from '../../../src/cli/history.ts';
import { formatStatusTree, statusTree } from '../../../src/cli/status-tree.ts';
import { formatWhy, why } from '../../../src/cli/why.ts';
import type { Snapshot } from '../../../src/cli/view.ts';
import { healthy, nodeAgent, noStatus, rolledBack } from './fixtures.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const dir = join(import.meta.dirname, 'testdata');

function golden(name: string, got: string): void {
  const file = join(dir, name);
  if (update) writeFileSync(file, got);
  assert.ok(existsSync(file), `golden file ${name} is missing: run with UPDATE_GOLDEN=1`);
  assert.equal(got, readFileSync(file, 'utf8'), `${name} differs from its golden file`);
}

const snapshots: Record<string, Snapshot> = { healthy, 'rolled-back': rolledBack, 'no-status': noStatus, 'node-agent': nodeAgent };

for (const [name, s] of Object.entries(snapshots)) {
  test(`status, why and history of the ${name} Agent read as their golden files, as text and as JSON`, () => {
    golden(`${name}.status.txt`, formatStatusTree(statusTree(s)));
    golden(`${name}.why.txt`, formatWhy(why(s)));
    golden(`${name}.history.txt`, formatHistory(history(s), s.agent.spec.mode));
    golden(`${name}.json`, JSON.stringify({ status: statusTree(s), why: why(s), history: history(s) }, null, 2) + '\n');
  });
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { importCycles } from '../../hack/import-cycles.ts';

const root = join(import.meta.dirname, '..', '..');

describe('imports', () => {
  it('form no cycle among the files or the folders of src/ and bench/', () => {
    assert.deepEqual(importCycles(['src', 'bench'], root), { files: [], folders: [] });
  });

  it('are found in a cycle when two folders import each other (the check can fail)', () => {
    const found = importCycles(['test/fixtures/import-cycle'], root);
    assert.deepEqual(found.folders, [['test/fixtures/import-cycle/a', 'test/fixtures/import-cycle/b']]);
    assert.deepEqual(found.files, [['test/fixtures/import-cycle/a/one.ts', 'test/fixtures/import-cycle/b/two.ts']]);
  });
});

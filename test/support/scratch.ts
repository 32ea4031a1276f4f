// Temp folders that live as long as the test process: one per prefix, made on
// first use and removed when the process exits (also after a failed test, so
// kubeconfigs with tokens and chart copies never pile up in /tmp).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Map<string, string>();

export function scratchDir(prefix: string): string {
  let dir = made.get(prefix);
  if (!dir) {
    const created = mkdtempSync(join(tmpdir(), prefix));
    made.set(prefix, created);
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
    dir = created;
  }
  return dir;
}

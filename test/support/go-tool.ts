// Small Go programs under hack/tools that run a real third-party library
// (gopher-lua for Argo CD's health check, kstatus for Flux's) so the tests
// judge our files with the code that will judge them in production.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

export function goAvailable(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds hack/tools/DIR into the tool cache as NAME, only when missing or its
 * source changed, and returns the binary's path.
 */
export function goTool(dir: string, name: string): string {
  const src = join(root, 'hack/tools', dir);
  const hash = createHash('sha256');
  for (const f of readdirSync(src).filter((f) => /^(go\.mod|go\.sum|.*\.go)$/.test(f)).sort()) hash.update(f).update(readFileSync(join(src, f)));
  const digest = hash.digest('hex');
  const cache = process.env.AGENT_OPERATOR_CACHE ?? join(homedir(), '.cache/agent-operator');
  const out = join(cache, 'tool', name);
  const bin = join(out, name);
  const stamp = join(out, 'source.sha256');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return bin;
  mkdirSync(out, { recursive: true });
  // build beside, then rename: a concurrent run never sees half a binary
  const tmp = `${bin}.${process.pid}.tmp`;
  execFileSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: src, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CGO_ENABLED: '0' },
  });
  renameSync(tmp, bin);
  writeFileSync(stamp, digest);
  return bin;
}

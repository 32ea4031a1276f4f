// make chaos, short (issue 12): the benchmark itself (bench/chaos.ts) run
// against this file's cluster with a small fleet, every fault class once, the
// plain and the fast arm. It asserts what must hold whatever the timings: no
// remediation step taken twice, no pod deleted twice, no operator crash across
// a SIGKILL and a leader failover, no PVC lost, every class observed in every
// arm and every fault recovered once its cause ended or its person reverted
// it, and every abnormal second put on one class of the run or outside any
// fault. Health comes from the bench's watches (bench/chaos/health.ts). Node
// loss is make chaos's alone: it stops kwok nodes, which this shared cluster
// must not have done to it. Timings are
// make chaos's job (README "Chaos"); this run is too short and too loaded for them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { useCluster, repoRoot } from '../support/cluster.ts';
import { auditLogPath } from '../support/audit.ts';
import { installCRD } from '../support/operator.ts';
import { defaultMix, faultClasses } from '../../bench/chaos/schedule.ts';

const cluster = useCluster();

interface ClassFigures { class: string; faults: number; recovered: number; needsHuman: number }
interface Summary { invariants: string[]; arms: { arm: string; abnormalRate: number; abnormalByClass: { bucket: string; rate: number; rateWithout: number }[]; steps: number; podDeletes?: number; claims: number; lostClaims: string[]; hiddenRestarts: number; operator?: { starts: number; crashes: number }; classes: ClassFigures[] }[] }

function runChaos(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bench/chaos.ts'), ...args], {
      cwd: repoRoot, env: { ...process.env, BENCH_KUBECONFIG: cluster().kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('make chaos, short', () => {
  it('takes no step twice, loses no operator, and sees every fault class recovered in every arm', async (t) => {
    if (!cluster().clusterDir) return t.skip('the fault stages and the audit log come with the local control plane only');
    await installCRD(cluster());
    const audit = auditLogPath(cluster())!;
    // The person reverts after 60 s: a release applied while the SIGKILLed operator's successor waits out the
    // 15 s lease is rolled out only once it leads, and a revert before then would leave it nothing to remedy.
    // The 25 s warm-up: a revision becomes the rollback target minReadySeconds (5) + the fast arm's
    // HEALTHY_AFTER_SECONDS (15) after its pods are Ready, plus a reconcile's latency; with 20 s the first
    // faults sometimes found none and were restarted instead of rolled back.
    const run = await runChaos([
      '--agents', '10', '--minutes', '0.5', '--rate', '18', '--arms', 'plain,fast', '--seed', '7',
      '--warmup', '25', '--human-after', '60', '--cause', '15', '--settle', '15',
      // node-loss stops kwok nodes: never on the cluster the e2e files share (make chaos plays it on its own cluster)
      '--mix', 'node-loss=0', '--storage-every', '5',
      '--no-plots', '--audit-log', audit, '--out', join(cluster().clusterDir!, 'chaos-out'),
    ]);
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(last.startsWith('{'), `no summary line (exit ${run.code}):\n${run.stderr.slice(-3000)}`);
    const summary = JSON.parse(last) as Summary;
    console.log(run.stdout.split('\n').filter((l) => !l.startsWith('{')).map((l) => `# ${l}`).join('\n'));
    assert.deepEqual(summary.invariants, [], 'invariants');
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    for (const arm of summary.arms) {
      assert.deepEqual(arm.classes.map((c) => c.class).sort(), faultClasses.filter((c) => defaultMix[c] > 0 && c !== 'node-loss').sort(), `${arm.arm}: every class of the kwok mix observed`);
      assert.equal(arm.claims, 2, `${arm.arm}: agents 0 and 5 have a volume`);
      assert.deepEqual(arm.lostClaims, [], `${arm.arm}: no PVC lost`);
      for (const c of arm.classes) assert.equal(c.recovered, c.faults, `${arm.arm} ${c.class}: every fault recovered`);
      // every abnormal second is put on one class of the run, or outside any fault (bench/chaos/attribution.ts)
      const shares = arm.abnormalByClass.reduce((n, b) => n + b.rate, 0);
      assert.ok(Math.abs(shares - arm.abnormalRate) < 1e-9, `${arm.arm}: the classes' shares (${shares}) add up to the abnormal rate (${arm.abnormalRate})`);
      for (const b of arm.abnormalByClass) assert.ok(b.bucket === 'outside' || arm.classes.some((c) => c.class === b.bucket), `${arm.arm}: abnormal seconds put on ${b.bucket}, not a class of the run`);
    }
    const fast = summary.arms.find((a) => a.arm === 'fast')!;
    assert.equal(fast.operator?.crashes, 0);
    assert.ok((fast.operator?.starts ?? 0) >= 3, `a replacement after the SIGKILL and a standby for the failover: ${fast.operator?.starts} starts`);
    assert.ok(fast.steps > 0, 'the operator remedied something');
    assert.equal(typeof fast.podDeletes, 'number', 'pod deletions counted from the audit log');
  });
});

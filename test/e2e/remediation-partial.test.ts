// One failing pod out of three: the Agent is
// still Available (two replicas serve, one is needed) but Degraded, naming the
// failing pod; Ready is False with the failure's reason, as item 4 of the
// Ready rule says (src/status/compute.ts `readyRule`, quoted in docs/api.md).
// The operator's first restart step is set 10 min out, so what the test reads
// is the failure as detected and explained, not a remediation of it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readyRule } from '../../src/status/compute.ts';
import { agentEvents, agentPods, condition, createAgent, getAgent, waitReady } from '../support/agents.ts';
import { repoRoot, useCluster } from '../support/cluster.ts';
import { clearFault, injectFault } from '../support/faults.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
const name = 'trio';
let ns: string;

describe('one failing pod out of three', () => {
  let failing: string | undefined;

  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'remediation-partial');
    await startOperator(cluster(), { namespaces: [ns] });
  });

  after(async () => {
    if (failing) await clearFault(cluster().core, ns, failing).catch(() => undefined);
  });

  it('is Available and Degraded naming the failing pod, and not Ready, with the failure as the reason', async () => {
    await createAgent(cluster(), ns, name, { image: 'registry.example/trio:1.0', replicas: 3, recovery: { restart: { initialBackoffSeconds: 600, maxBackoffSeconds: 600 } } });
    await waitReady(cluster(), ns, name);
    const pods = await agentPods(cluster(), ns, name);
    assert.equal(pods.length, 3);
    failing = pods.map((p) => p.metadata!.name!).sort()[1]!;
    const others = pods.map((p) => p.metadata!.name!).filter((n) => n !== failing);

    // Exit code 127 (command not found), and a long kubelet back-off, so the container stays waiting in CrashLoopBackOff.
    await injectFault(cluster().core, ns, failing, 'CrashLoopBackOff', { exitCode: 127, delay: '1s', backoff: '120s' });

    const a = await eventually(async () => {
      const x = await getAgent(cluster(), ns, name);
      assert.equal(condition(x, 'Degraded')?.status, 'True', JSON.stringify(condition(x, 'Degraded')));
      assert.equal(condition(x, 'Ready')?.status, 'False', JSON.stringify(condition(x, 'Ready')));
      assert.equal(x.status?.readyReplicas, 2, 'the Deployment counts two ready replicas');
      // The first death is reported at once ("exited ... restarted a moment ago"); wait for the back-off.
      assert.match(condition(x, 'Degraded')?.message ?? '', /keeps exiting/);
      return x;
    }, { timeoutMs: 60_000, message: 'Degraded=True and Ready=False for the one failing pod' });

    const available = condition(a, 'Available')!;
    assert.deepEqual([available.status, available.reason], ['True', 'Available'], available.message);
    assert.match(available.message, /^2\/3 replicas available \(at least 1 needed\)/);

    const degraded = condition(a, 'Degraded')!;
    assert.equal(degraded.reason, 'CrashLoopBackOff');
    assert.match(degraded.message, new RegExp(`container agent of pod ${failing} keeps exiting \\(last exit code 127, \\d+ restarts\\)`));
    assert.match(degraded.message, /: the command was not found in the image: check spec\.command$/, 'the cause and one fix');
    for (const other of others) assert.doesNotMatch(degraded.message, new RegExp(other), 'only the failing pod is named');

    // Ready: items 1-3 of the rule hold, item 4 fails on the pod's active failure, so Ready is False with that failure's reason.
    assert.match(readyRule, /4\. every desired replica runs the current revision and is ready, and no pod of the Agent has an active failure.*\(the failure's reason/);
    const apiDoc = await readFile(join(repoRoot, 'docs/api.md'), 'utf8');
    assert.ok(apiDoc.includes(readyRule.split('\n')[4]!), 'docs/api.md quotes the rule the operator implements');
    const ready = condition(a, 'Ready')!;
    assert.equal(ready.reason, 'CrashLoopBackOff', "Ready's reason is the failure's");
    assert.match(ready.message, new RegExp(`^2/3 replicas ready at revision ${a.status?.revision}: container agent of pod ${failing} keeps exiting`));
    assert.equal(a.status?.phase, 'Degraded');
    assert.equal(a.status?.readyText, '2/3');
    assert.deepEqual({ reason: a.status?.lastFailure?.reason, pod: a.status?.lastFailure?.pod, exitCode: a.status?.lastFailure?.exitCode },
      { reason: 'CrashLoopBackOff', pod: failing, exitCode: 127 });
    assert.equal(condition(a, 'Stalled')?.status, 'False', 'nothing is exhausted: the first restart step is still ahead');
    assert.ok(a.status?.recovery?.nextRestartNotBefore, 'the first restart step is scheduled');
    assert.equal(a.status?.recovery?.restartAttempts, undefined, 'and not taken');

    // The failure event and kubectl describe carry the same diagnosis.
    const events = await agentEvents(cluster(), ns, name);
    const failure = events.find((e) => e.reason === 'CrashLoopBackOff' && e.type === 'Warning' && e.message?.startsWith('container agent') && e.message.includes('keeps exiting'));
    assert.match(failure?.message ?? '', new RegExp(`pod ${failing} keeps exiting \\(last exit code 127.*check spec\\.command`));
    const described = await cluster().kubectl(['describe', 'agent', name, '-n', ns]);
    assert.equal(described.code, 0, described.stderr);
    const text = described.stdout.replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`Reason: CrashLoopBackOff .*pod ${failing} keeps exiting \\(last exit code 127, \\d+ restarts\\) and the kubelet is backing off: the command was not found in the image: check spec\\.command`));

    // The fault clears: Ready again, nothing degraded.
    await clearFault(cluster().core, ns, failing);
    failing = undefined;
    // A container restarted after a crash counts as failing until it has run 30 s (no Healthy between crashes).
    const healed = await waitReady(cluster(), ns, name, 60_000);
    assert.equal(condition(healed, 'Degraded')?.status, 'False');
    assert.equal(healed.status?.readyText, '3/3');
    assert.equal(healed.status?.phase, 'Running');
  });
});

// Property, against a real apiserver: for 500 generated specs (the unit twin,
// test/unit/reconcile/spec-fuzz.test.ts, runs 10,000 through the pure code),
// the Agent itself passes a server-side dry-run create (the generator makes
// only specs the CRD and its CEL rules accept), and every object the plan
// would apply passes a server-side dry-run apply with the operator's own
// apply function (src/kube/apply.ts): schema, defaulting and validation of
// the real Deployment, Service, ConfigMap, PVC and PDB, nothing stored.
// FUZZ_SEED=<seed> replays a run; FUZZ_SAMPLE changes its size.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../src/kube/client.ts';
import { apply } from '../../src/kube/apply.ts';
import { plan } from '../../src/reconcile/plan.ts';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD } from '../support/operator.ts';
import { scratchDir } from '../support/scratch.ts';
import { describe as describeError } from '../support/wait.ts';
import { agentOf, agentSpec } from '../fixtures/arbitrary-spec.ts';

const cluster = useCluster();
const sample = Number(process.env.FUZZ_SAMPLE ?? 500);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const concurrency = 8;

describe('generated specs against the apiserver', () => {
  let ns: string;
  let client: KubeClient;
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'spec-dry-run');
    client = createKubeClient({ kubeConfig: cluster().kc });
  });

  it(`for ${sample} generated specs the Agent and every object built from it pass a server-side dry-run`, async (t) => {
    t.diagnostic(`FUZZ_SEED=${seed} FUZZ_SAMPLE=${sample} reproduces this run`);
    const specs = fc.sample(agentSpec('fuzz'), { numRuns: sample, seed });
    const failures: string[] = [];
    let objects = 0;
    let workloads = 0;
    let next = 0;
    const started = Date.now();

    const check = async (i: number) => {
      const { spec, configMapTexts } = specs[i]!;
      const name = `fuzz-${i}`;
      const agent = agentOf(name, ns, spec);
      try {
        await cluster().custom.createNamespacedCustomObject({
          group: 'agent-operator.dev', version: 'v1alpha1', plural: 'agents', namespace: ns, dryRun: 'All',
          body: { apiVersion: agent.apiVersion, kind: agent.kind, metadata: { name }, spec },
        });
      } catch (e) {
        failures.push(`spec #${i} refused by the CRD: ${describeError(e)}\n  ${JSON.stringify(spec)}`);
        return;
      }
      const p = plan({
        agent, replicaSets: [], pods: [], now: new Date(),
        references: { digests: {}, missing: [], configMapTexts },
        dependencies: { ready: true, waits: [], none: true },
      });
      for (const obj of p.apply) {
        objects++;
        if (obj.kind === 'Deployment' || obj.kind === 'DaemonSet' || obj.kind === 'StatefulSet') workloads++;
        try {
          await apply(client, obj, { dryRun: true });
        } catch (e) {
          failures.push(`spec #${i}: the ${obj.kind} built from it was refused: ${describeError(e)}\n  spec: ${JSON.stringify(spec)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < specs.length) await check(next++);
    }));
    t.diagnostic(`${sample} Agents and ${objects} built objects (${workloads} workloads) dry-run in ${Date.now() - started} ms, ${failures.length} refused`);
    // One example per distinct refusal (object names stripped), so a run shows every kind of gap at once.
    const distinct = new Map<string, string>();
    for (const f of failures) {
      const key = f.split('\n')[0]!.replace(/spec #\d+/, '').replace(/\(\S+\/fuzz-\d+;/, '(');
      if (!distinct.has(key)) distinct.set(key, f);
    }
    assert.deepEqual([...distinct.values()], [], `${failures.length} refusals of ${distinct.size} kinds; replay with FUZZ_SEED=${seed}`);
    // Unmanaged Agents and Agents the operator's pod policy holds build nothing; the rest must be a real share.
    assert.ok(workloads >= sample / 5, `enough workloads were dry-run to mean something: ${workloads} of ${sample} specs`);
  });

  // The requests above went out on client-node's KubeConfig (the harness's,
  // client certificate): the transport's fallback path. An exec plugin is what
  // only that path serves; this one hands out the same client certificate.
  it('reaches the apiserver on a kubeconfig whose user is an exec plugin (client-node\'s KubeConfig, loaded only for it) and on the cluster\'s own (the operator\'s loader)', async () => {
    const kc = cluster().kc;
    const c = kc.getCurrentCluster()!;
    const u = kc.getCurrentUser()!;
    const pem = (data: string | undefined, file: string | undefined) => (data ? Buffer.from(data, 'base64').toString() : readFileSync(file!, 'utf8'));
    const dir = scratchDir('agent-operator-exec-');
    const plugin = join(dir, 'credential.sh');
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: pem(u.certData, u.certFile), clientKeyData: pem(u.keyData, u.keyFile) } };
    writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`);
    chmodSync(plugin, 0o700);
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: c.server, 'certificate-authority-data': c.caData ?? readFileSync(c.caFile!).toString('base64') } }],
      users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    }), { mode: 0o600 });
    const viaExec = loadKubeConfig(path, {});
    assert.equal(viaExec.constructor.name, 'KubeConfig', 'client-node\'s class serves the exec plugin');
    const own = loadKubeConfig(cluster().kubeconfigPath, {});
    assert.equal(own.constructor.name, 'OwnKubeConfig');
    for (const auth of [viaExec, own]) {
      const got = await createKubeClient({ kubeConfig: auth }).request<{ kind: string }>({ method: 'GET', path: `/api/v1/namespaces/${ns}/configmaps`, query: { limit: 1 } });
      assert.equal(got.kind, 'ConfigMapList', auth.constructor.name);
    }
  });
});

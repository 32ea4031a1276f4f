// The kubectl experience, with the kubectl that hack/build-tools builds: the
// columns of `kubectl get ag`, `describe` as a diagnosis, `wait`, `explain`
// and `scale` through the scale subresource. What the user reads is the
// contract, so the tests read kubectl's output, not the API.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { crdPath, installCRD, startOperator } from '../support/operator.ts';
import { eventually } from '../support/wait.ts';

const cluster = useCluster();
let ns: string;

const IMAGE = 'registry.example/agent:1.0';
const agents = [
  { name: 'web', spec: { image: IMAGE, ports: [{ name: 'http', containerPort: 8080 }] } },
  // another Agent with pods, so "the selector selects exactly web's pods" means something
  { name: 'other', spec: { image: IMAGE, ports: [{ name: 'http', containerPort: 8080 }] } },
  // a Secret that does not exist: the operator holds the rollout and says why
  { name: 'broken', spec: { image: IMAGE, env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'missing-credentials', key: 'token' } } }] } },
];

/** kubectl that must succeed; returns stdout. */
async function kubectl(...args: string[]): Promise<string> {
  const r = await cluster().kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** A table kubectl printed, as rows of cells split on runs of 2+ spaces (cells never contain those); the header row first. */
function table(text: string): string[][] {
  return text.trimEnd().split('\n').map((line) => line.trim().split(/\s{2,}/));
}

/** Rows of `kubectl get` keyed by NAME, each a record of column -> cell (empty cells kept as ''). */
function rows(text: string): Map<string, Record<string, string>> {
  const lines = text.trimEnd().split('\n');
  const header = lines[0]!;
  // Columns start where the header's words start; cells are read at those offsets, so empty cells stay empty.
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  const out = new Map<string, Record<string, string>>();
  for (const line of lines.slice(1)) {
    const row: Record<string, string> = {};
    starts.forEach((c, i) => { row[c.name] = line.slice(c.at, starts[i + 1]?.at ?? line.length).trim(); });
    out.set(row.NAME!, row);
  }
  return out;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('kubectl reads Agents well', () => {
  before(async () => {
    // retried: on a fresh cluster `kubectl wait` inside installCRD can fail before the new CRD has any condition
    await eventually(() => installCRD(cluster()), { message: 'the Agent CRD installed and Established' });
    ns = await testNamespace(cluster(), 'kubectl');
    await startOperator(cluster(), { namespaces: [ns] });
    const manifest = agents.map((a) => stringify({ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: a.name }, spec: a.spec })).join('---\n');
    const r = await cluster().kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  });

  it('kubectl wait --for=condition=Ready returns once the Agent is Ready', async () => {
    const out = await kubectl('wait', '--for=condition=Ready', 'agent/web', 'agent/other', '-n', ns, '--timeout=90s');
    assert.equal(out, 'agent.agent-operator.dev/web condition met\nagent.agent-operator.dev/other condition met\n');
  });

  it('kubectl get ag shows READY, PHASE, RESTARTS, LAST-FAILURE and AGE, filled in for a Ready and for a held Agent', async () => {
    await kubectl('wait', '--for=condition=Ready', 'agent/web', '-n', ns, '--timeout=90s');
    const text = await eventually(async () => {
      const out = await kubectl('get', 'ag', '-n', ns);
      assert.match(out, /broken\s+0\/1\s+Pending\s+0\s+SecretNotFound/);
      return out;
    }, { message: 'the held Agent shows in the table' });
    assert.deepEqual(table(text)[0], ['NAME', 'READY', 'PHASE', 'RESTARTS', 'LAST-FAILURE', 'AGE']);
    const web = rows(text).get('web');
    assert.deepEqual({ ...web, AGE: undefined }, { NAME: 'web', READY: '1/1', PHASE: 'Running', RESTARTS: '0', 'LAST-FAILURE': '', AGE: undefined });
    assert.match(web?.AGE ?? '', /^\d+s$/);
    const broken = rows(text).get('broken');
    assert.deepEqual([broken?.READY, broken?.PHASE, broken?.RESTARTS, broken?.['LAST-FAILURE']], ['0/1', 'Pending', '0', 'SecretNotFound']);
  });

  it('kubectl get ag -o wide adds the running IMAGE and the REVISION', async () => {
    await kubectl('wait', '--for=condition=Ready', 'agent/web', '-n', ns, '--timeout=90s');
    const text = await kubectl('get', 'ag', '-n', ns, '-o', 'wide');
    assert.deepEqual(table(text)[0], ['NAME', 'READY', 'PHASE', 'RESTARTS', 'LAST-FAILURE', 'AGE', 'IMAGE', 'REVISION']);
    const revision = await kubectl('get', 'agent', 'web', '-n', ns, '-o', 'jsonpath={.status.revision}');
    assert.match(revision, /^[0-9a-f]{10}$/);
    const web = rows(text).get('web');
    assert.deepEqual([web?.IMAGE, web?.REVISION], [IMAGE, revision]);
  });

  it('kubectl describe agent reads as a diagnosis: conditions with reason and fix, and the recent events', async () => {
    await kubectl('wait', '--for=condition=Ready', 'agent/web', '-n', ns, '--timeout=90s');
    // A new Agent's first Ready is no event (a write per Agent saved, issue 13): the condition says when and what.
    const healthy = await kubectl('describe', 'agent', 'web', '-n', ns);
    assert.match(healthy, /Conditions:\n(\s+.*\n)*?\s+Last Transition Time:\s+\S+\n\s+Message:\s+1\/1 replicas ready at revision [0-9a-f]{10}\n\s+Observed Generation:\s+1\n\s+Reason:\s+Ready\n\s+Status:\s+True\n\s+Type:\s+Ready\n/);
    assert.doesNotMatch(healthy, /Normal\s+Ready\s/);

    const broken = await eventually(async () => {
      const out = await kubectl('describe', 'agent', 'broken', '-n', ns);
      assert.match(out, /Warning\s+SecretNotFound\s+\S+\s+agent-operator\.dev\/agent-operator\s+Ready is False: Secret missing-credentials does not exist/);
      return out;
    }, { message: 'the SecretNotFound event in describe' });
    // Ready=False names the missing object, where it is used, and the fix.
    const ready = /Message:\s+(.*)\n\s+Observed Generation:\s+\d+\n\s+Reason:\s+(\S+)\n\s+Status:\s+(\S+)\n\s+Type:\s+Ready\n/.exec(broken);
    assert.ok(ready, `a Ready condition in:\n${broken}`);
    assert.equal(ready[2], 'SecretNotFound');
    assert.equal(ready[3], 'False');
    assert.match(ready[1]!, /Secret missing-credentials does not exist \(used by env\[API_TOKEN\]\.valueFrom\.secretKeyRef\): create it or fix the reference/);
    assert.match(broken, /Last Failure:\n(\s+.*\n)*?\s+Reason:\s+SecretNotFound\n/);
    assert.doesNotMatch(broken, /Events:\s+<none>/);
  });

  it('kubectl explain agent.spec.recovery prints the descriptions of onExhausted, oomKilled and restart', async () => {
    const out = collapse(await kubectl('explain', 'agent.spec.recovery'));
    const crd = parse(readFileSync(crdPath, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { recovery: { description: string; properties: Record<string, { description: string }> } } } } } } }[] } };
    const recovery = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.recovery;
    assert.ok(out.includes(collapse(recovery.description)), `the recovery description in:\n${out}`);
    for (const field of ['onExhausted', 'oomKilled', 'restart']) {
      const description = recovery.properties[field]?.description;
      assert.ok(description, `the CRD describes recovery.${field}`);
      assert.ok(out.includes(`${field} <`), `${field} is listed`);
      assert.ok(out.includes(collapse(description)), `the description of ${field} is printed: ${description}`);
    }
  });

  it('kubectl scale agent changes spec.replicas through the scale subresource; status, READY and the selector follow', async () => {
    await kubectl('wait', '--for=condition=Ready', 'agent/web', '-n', ns, '--timeout=90s');
    assert.equal(await kubectl('scale', 'agent', 'web', '-n', ns, '--replicas=2'), 'agent.agent-operator.dev/web scaled\n');
    assert.equal(await kubectl('get', 'agent', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.metadata.generation}'), '2 2');

    await eventually(async () => {
      const web = rows(await kubectl('get', 'ag', 'web', '-n', ns)).get('web');
      assert.deepEqual([web?.READY, web?.PHASE], ['2/2', 'Running']);
      assert.equal(await kubectl('get', 'agent', 'web', '-n', ns, '-o', 'jsonpath={.status.replicas} {.status.observedGeneration}'), '2 2');
    }, { timeoutMs: 90_000, message: 'READY 2/2 and status.replicas 2 after scaling' });
    const scale = JSON.parse(await kubectl('get', 'agent', 'web', '-n', ns, '--subresource=scale', '-o', 'json')) as { kind: string; spec: { replicas: number }; status: { replicas: number; selector: string } };
    assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.replicas], ['Scale', 2, 2]);

    const selector = await kubectl('get', 'ag', 'web', '-n', ns, '-o', 'jsonpath={.status.selector}');
    assert.equal(scale.status.selector, selector);
    await eventually(async () => {
      const pods = await kubectl('get', 'pods', '-n', ns, '-l', selector, '--field-selector=status.phase=Running', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}');
      const names = pods.trim().split('\n').filter(Boolean);
      assert.equal(names.length, 2, `pods selected: ${names.join(', ')}`);
      assert.ok(names.every((n) => n.startsWith('web-')), `only web's pods: ${names.join(', ')}`);
    }, { message: 'the selector lists web\'s 2 pods' });
    const all = await kubectl('get', 'pods', '-n', ns, '-o', 'name');
    assert.ok(all.includes('pod/other-'), 'other pods exist in the namespace, and the selector leaves them out');
  });
});

// An Agent the apiserver stored can be anything: a CRD of an older version,
// or one installed without its schema, accepted what today's schema refuses.
// Each such Agent goes through everything that reads the Agent cache (the
// informer's indexes, the watches' mappers and predicates, the phase metric,
// the own-status-writes tracker, the dependency view, the usage wake and the
// reconciler), through the real caches and informers; only the apiserver is a
// stand-in. Wanted: nothing throws or is logged as failing, the other Agents
// are still mapped, and the malformed Agent's own reconcile reports it as
// Stalled/InvalidSpec naming the field (a malformed status is replaced).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { AgentStatus } from '../../../src/api/status.ts';
import { agentLabel, operatorName } from '../../../src/desired/labels.ts';
import { allInformers, createCaches } from '../../../src/reconcile/caches.ts';
import { trackPhases } from '../../../src/reconcile/phase-metrics.ts';
import { agentReconciler } from '../../../src/reconcile/reconciler.ts';
import { wakeOnUsageChange } from '../../../src/reconcile/usage-wake.ts';
import { addIndexes, wireWatches } from '../../../src/reconcile/watches.ts';
import { KubeApiError } from '../../../src/runtime/api-error.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import type { KubeObject } from '../../../src/runtime/kube-object.ts';
import type { Logger } from '../../../src/runtime/logger.ts';
import { agent } from '../../fixtures/agent.ts';
import { apiserver } from '../../fixtures/apiserver.ts';
import { t0 } from '../../fixtures/observed.ts';
import { fakeKubeIO } from '../../fixtures/kube-io.ts';

const image = 'example.com/agent:1.0';
const ports = [{ name: 'http', containerPort: 8080 }];
const fwd = agent('fwd').namespace('team').secretEnv('TOKEN', 'creds', 'token').dependsOnAgent('db').build();
const db = agent('db').namespace('team').port('http', 8080).build();
// db's Service, as its valid spec made it.
const service = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'db', namespace: 'team', uid: 'uid-svc-db', resourceVersion: '1', labels: { 'app.kubernetes.io/managed-by': operatorName }, ownerReferences: [{ apiVersion: db.apiVersion, kind: db.kind, name: 'db', uid: db.metadata.uid!, controller: true }] },
  spec: { ports: [{ name: 'http', port: 8080 }] },
};

/** db as stored with `spec` and `status` as given (undefined: absent). */
const stored = (rv: number, spec: unknown, status?: unknown): KubeObject =>
  ({ apiVersion: db.apiVersion, kind: db.kind, metadata: { ...db.metadata, resourceVersion: String(rv), generation: rv }, ...(spec !== undefined ? { spec } : {}), ...(status !== undefined ? { status } : {}) }) as KubeObject;

const cases: { name: string; spec: unknown; status?: unknown; field?: RegExp }[] = [
  { name: 'no spec', spec: undefined, field: /^spec: / },
  { name: 'spec a string', spec: 'db', field: /^spec: / },
  { name: 'spec.image a number', spec: { image: 5, ports }, field: /spec\.image: / },
  { name: 'spec.dependsOn a string', spec: { image, ports, dependsOn: 'fwd' }, field: /spec\.dependsOn: / },
  { name: 'spec.dependsOn holding a number', spec: { image, ports, dependsOn: [5] }, field: /spec\.dependsOn\.0: / },
  { name: 'spec.dependsOn an agent named by a number', spec: { image, ports, dependsOn: [{ agent: 5 }] }, field: /spec\.dependsOn\.0\.agent: / },
  { name: 'spec.mode a number', spec: { image, ports, mode: 5 }, field: /spec\.mode: / },
  { name: 'spec.replicas a string', spec: { image, ports, replicas: '3' }, field: /spec\.replicas: / },
  { name: 'spec.ports a string', spec: { image, ports: 'http' }, field: /spec\.ports: / },
  { name: 'spec.ports holding a port numbered by a string', spec: { image, ports: [{ name: 'http', containerPort: '8080' }] }, field: /spec\.ports\.0\.containerPort: / },
  { name: 'spec.env a number', spec: { image, ports, env: 7 }, field: /spec\.env: / },
  { name: 'spec.env holding a Secret reference without a key', spec: { image, ports, env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'creds' } } }] }, field: /spec\.env\.0\.valueFrom\.secretKeyRef\.key: / },
  { name: 'spec.env with three malformed entries around a good one', spec: { image, ports, env: [{ name: 'A', value: 5 }, { value: 'x' }, { name: 'OK', value: 'y' }, { name: 'C', valueFrom: 'x' }] }, field: /spec\.env\.0\.value: .*spec\.env\.1\.name: .*spec\.env\.3\.valueFrom: /s },
  { name: 'spec.envFrom a string', spec: { image, ports, envFrom: 'creds' }, field: /spec\.envFrom: / },
  { name: 'spec.config.layers a string', spec: { image, ports, config: { layers: 'base' } }, field: /spec\.config\.layers: / },
  { name: 'spec.podTemplate.volumes an object', spec: { image, ports, podTemplate: { volumes: { secret: 'creds' } } }, field: /spec\.podTemplate\.volumes: / },
  { name: 'spec.resources.limits.memory not a quantity', spec: { image, ports, resources: { limits: { memory: 'lots' } } }, field: /spec\.resources\.limits\.memory: / },
  { name: 'spec.recovery a string', spec: { image, ports, recovery: 'always' }, field: /spec\.recovery: / },
  { name: 'spec.storage a number', spec: { image, ports, storage: 1 }, field: /spec\.storage: / },
  { name: 'status a string', spec: { image, ports }, status: 'Ready' },
  { name: 'status.conditions a string and status.phase a number', spec: { image, ports }, status: { conditions: 'Ready', phase: 5 } },
];

/** Every error or warning the runtime logs, with the bindings of its logger. */
function recordingLogger(lines: string[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: unknown, msg?: string) => { lines.push(`${level} ${msg ?? ''} ${JSON.stringify(bindings)} ${String((obj as { err?: unknown })?.err ?? '')}`); };
  return { debug: () => {}, info: () => {}, warn: at('warn'), error: at('error'), child: (b) => recordingLogger(lines, { ...bindings, ...b }) };
}

describe('an Agent stored malformed', () => {
  const logged: string[] = [];
  const server = apiserver([fwd, db, service] as KubeObject[]);
  const caches = createCaches({ transport: server.transport, namespaces: [], logger: recordingLogger(logged) });
  addIndexes(caches);
  const controller = new Controller({ name: 'agent', reconcile: async () => undefined, logger: recordingLogger(logged) });
  wireWatches(controller, caches);
  const phases = new Map<string, unknown>();
  trackPhases(caches, { agents: { set: (key, phase) => { phases.set(key, phase); } } });
  const statuses: AgentStatus[] = [];
  const removed: string[] = [];
  const events: string[] = [];
  // The apiserver fails every status write to an Agent stored with the wrong types (HTTP 500: server-side apply cannot type the live object).
  let refuseStatus = false;
  const reconcile = agentReconciler({
    caches, clock: { now: () => t0.getTime() }, log: recordingLogger(logged),
    io: fakeKubeIO({
      remove: async (ref) => { removed.push(`${ref.kind}/${ref.name}`); },
      patchAgentStatus: async (_ns, _n, status) => {
        if (refuseStatus) throw new KubeApiError(500, 'failed to create typed live object (team/db; agent-operator.dev/v1alpha1, Kind=Agent): errors: .spec.mode: expected string, got &value.valueUnstructured{Value:5}');
        statuses.push(status);
        return undefined;
      },
    }),
    events: { record: async (_t, type, reason, message) => { events.push(`${type} ${reason} ${message}`); } },
    metrics: { failures: { inc: () => {} }, remediations: { inc: () => {} } },
  });
  const ctx = (name: string) => ({ signal: new AbortController().signal, log: recordingLogger(logged), reconcileId: 'r', namespace: 'team', name });
  let queued: string[] = [];
  let rv = 10;
  before(async () => {
    for (const i of allInformers(caches)) i.start();
    assert.equal(await controller.start(), true);
    controller.queue.add = (key: string) => { queued.push(key); };
  });
  after(async () => {
    await controller.stop();
    await Promise.all(allInformers(caches).map((i) => i.stop()));
  });

  /** Stores `obj` as the apiserver's watch would deliver it, and waits until the Agent cache holds it. */
  async function deliver(obj: KubeObject): Promise<void> {
    assert.ok(server.modified(obj) > 0, 'some watch sees the object');
    for (let n = 0; n < 200 && caches.agents.get('team', 'db')?.metadata.resourceVersion !== obj.metadata!.resourceVersion; n++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(caches.agents.get('team', 'db')?.metadata.resourceVersion, obj.metadata!.resourceVersion, 'the Agent cache took the object in');
  }

  for (const c of cases) {
    it(`${c.name}: every reader takes it, and its reconcile reports it`, async () => {
      logged.length = 0;
      queued = [];
      statuses.length = 0;
      await deliver(stored(++rv, c.spec, c.status));
      // The indexes still map the other Agents' events; the malformed one's spec change queues it.
      assert.deepEqual(caches.agents.byIndex('team', 'references-secret', 'team/creds').map((a) => a.metadata.name), ['fwd']);
      assert.deepEqual([...new Set(queued)], ['team/db']);
      // The usage wake over the malformed Agent's pods.
      const pod = { metadata: { name: 'db-1', namespace: 'team', labels: { [agentLabel]: 'db' } } } as V1Pod;
      wakeOnUsageChange(caches, { usageOf: () => [{ pod: 'db-1', container: 'agent', memoryLimit: '64Mi', samples: [] }] }, [pod], () => {});
      // Its dependent's reconcile reads it through the dependency view.
      await reconcile('team/fwd', ctx('fwd'));
      // Its own reconcile.
      statuses.length = 0;
      removed.length = 0;
      await reconcile('team/db', ctx('db'));
      const stalled = statuses.at(-1)?.conditions?.find((x) => x.type === 'Stalled');
      if (c.field) {
        assert.equal(stalled?.reason, 'InvalidSpec', JSON.stringify(statuses.at(-1)?.conditions));
        assert.match(stalled?.message ?? '', c.field);
        // Planned from what the schema accepts; what that reading drops (the ports, when refused) is not removed.
        assert.deepEqual(removed, []);
        // When the apiserver refuses the status write, an Event still says why (and the reconcile fails, to be retried).
        events.length = 0;
        refuseStatus = true;
        await assert.rejects(reconcile('team/db', ctx('db')), KubeApiError);
        refuseStatus = false;
        const said = 'Warning InvalidSpec Stalled is True: ';
        assert.ok(events.some((e) => e.startsWith(said) && c.field!.test(e.slice(said.length))), events.join('\n'));
      } else {
        assert.notEqual(stalled?.reason, 'InvalidSpec', 'a malformed status is the operator\'s to replace, not the spec\'s fault');
      }
      assert.ok(!phases.has('team/db') || ['string', 'undefined'].includes(typeof phases.get('team/db')), 'the phase metric is a phase or none');
      assert.deepEqual(logged, [], 'nothing failed');
      // Back to a valid db: its next version is taken in like any other.
      await deliver(stored(++rv, { image, ports }));
    });
  }
});

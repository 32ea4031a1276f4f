import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, objectPath, remove } from '../../../src/kube/apply.ts';
import { desiredHash, desiredHashAnnotation, withDesiredHash, type ApplyObject } from '../../../src/desired/desired-hash.ts';
import { contains, needsApply } from '../../../src/reconcile/needs-apply.ts';
import { sameQuantity } from '../../../src/lib/quantity.ts';
import { conflict, fakeClient, notFound } from './fake-http.ts';

/** A Deployment as the desired builder would produce it. */
function desiredDeployment(): ApplyObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'forwarder',
      namespace: 'team-a',
      labels: { 'app.kubernetes.io/name': 'forwarder' },
      ownerReferences: [{ apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', name: 'forwarder', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'forwarder' } },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'forwarder' }, annotations: { 'agent-operator.dev/revision': 'abc' } },
        spec: {
          containers: [{
            name: 'agent',
            image: 'fluent/fluent-bit:3.2',
            args: ['--config', '/etc/agent/config.yaml'],
            ports: [{ name: 'http', containerPort: 2020 }],
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
            resources: { requests: { cpu: '0.1', memory: '128Mi' }, limits: { memory: '1024Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
          }],
          volumes: [{ name: 'config', configMap: { name: 'forwarder-config' } }, { name: 'tmp', emptyDir: {} }],
          hostNetwork: false,
        },
      },
    },
  };
}

/** What the apiserver returns for it: defaults filled in, quantities canonical, our hash stamped. */
function liveDeployment(): Record<string, any> {
  const d = withDesiredHash(desiredDeployment()) as Record<string, any>;
  const live = structuredClone(d);
  Object.assign(live.metadata, { uid: 'd-1', resourceVersion: '42', generation: 3, creationTimestamp: '2026-11-27T11:00:00Z' });
  live.metadata.annotations['deployment.kubernetes.io/revision'] = '3';
  Object.assign(live.spec, { revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
  const pod = live.spec.template.spec;
  Object.assign(pod, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30 });
  delete pod.hostNetwork;
  const c = pod.containers[0];
  Object.assign(c, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
  c.ports[0].protocol = 'TCP';
  c.resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } };
  pod.volumes[0].configMap.defaultMode = 420;
  live.status = { replicas: 1, readyReplicas: 1 };
  return live;
}

describe('needsApply', () => {
  it('skips the write when live holds everything we set, after the apiserver defaulted and canonicalised it', () => {
    assert.equal(needsApply(desiredDeployment(), liveDeployment()), false);
  });

  it('writes when the object does not exist', () => {
    assert.equal(needsApply(desiredDeployment(), undefined), true);
  });

  it('writes when live carries no hash (created by someone else, or before the hash existed)', () => {
    const live = liveDeployment();
    delete live.metadata.annotations[desiredHashAnnotation];
    assert.equal(needsApply(desiredDeployment(), live), true);
  });

  it('writes when we stopped setting a field, which only the hash can tell', () => {
    const desired = desiredDeployment() as Record<string, any>;
    const live = liveDeployment();
    delete desired.spec.template.spec.containers[0].args;
    assert.equal(needsApply(desired as ApplyObject, live), true);
  });

  const edits: [string, (live: Record<string, any>) => void][] = [
    ['the image was changed by hand', (l) => { l.spec.template.spec.containers[0].image = 'other:1'; }],
    ['replicas were scaled by hand', (l) => { l.spec.replicas = 3; }],
    ['an env var we set was removed', (l) => { l.spec.template.spec.containers[0].env = []; }],
    ['a label we set was removed', (l) => { delete l.metadata.labels['app.kubernetes.io/name']; }],
    ['the memory limit differs in value, not just in form', (l) => { l.spec.template.spec.containers[0].resources.limits.memory = '512Mi'; }],
    ['an arg was reordered', (l) => { l.spec.template.spec.containers[0].args.reverse(); }],
    ['an extra arg was added', (l) => { l.spec.template.spec.containers[0].args.push('--debug'); }],
    ['the owner reference lost controller=true', (l) => { l.metadata.ownerReferences[0].controller = false; }],
    ['our volume was removed', (l) => { l.spec.template.spec.volumes.pop(); }],
    ['the pod template revision annotation changed', (l) => { l.spec.template.metadata.annotations['agent-operator.dev/revision'] = 'def'; }],
    ['a boolean we set to false was turned on', (l) => { l.spec.template.spec.hostNetwork = true; }],
  ];
  for (const [what, edit] of edits) {
    it(`writes when ${what}`, () => {
      const live = liveDeployment();
      edit(live);
      assert.equal(needsApply(desiredDeployment(), live), true);
    });
  }

  const tolerated: [string, (live: Record<string, any>) => void][] = [
    ['another manager added a sidecar container', (l) => { l.spec.template.spec.containers.push({ name: 'istio-proxy', image: 'proxy' }); }],
    ['another manager added a label and an annotation', (l) => { l.metadata.labels.team = 'a'; l.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{}'; }],
    ['a webhook prepended a volume', (l) => { l.spec.template.spec.volumes.unshift({ name: 'injected', emptyDir: {} }); }],
    ['status changed', (l) => { l.status.readyReplicas = 0; }],
  ];
  for (const [what, edit] of tolerated) {
    it(`skips the write when ${what}`, () => {
      const live = liveDeployment();
      edit(live);
      assert.equal(needsApply(desiredDeployment(), live), false);
    });
  }

  it('ignores key order when hashing', () => {
    const a = desiredDeployment();
    const { labels, ownerReferences } = a.metadata;
    const b = { kind: a.kind, spec: a['spec'], metadata: { ownerReferences, labels, namespace: 'team-a', name: 'forwarder' }, apiVersion: a.apiVersion } as ApplyObject;
    assert.equal(desiredHash(a), desiredHash(b));
  });

  it('does not count a stale hash annotation in desired towards the hash', () => {
    const a = desiredDeployment();
    assert.equal(desiredHash(withDesiredHash(a)), desiredHash(a));
  });
});

describe('contains', () => {
  const cases: [string, unknown, unknown, boolean, string[]?][] = [
    ['equal scalars', 'a', 'a', true],
    ['different scalars', 'a', 'b', false],
    ['an int port and its string form', 8080, '8080', true],
    ['a named port and a number', 'http', 8080, false],
    ['cpu 0.1 and 100m', { requests: { cpu: '0.1' } }, { requests: { cpu: '100m' } }, true],
    ['cpu 1 (int) and "1"', { limits: { cpu: 1 } }, { limits: { cpu: '1' } }, true],
    ['cpu 1.5 and 1500m', { limits: { cpu: '1.5' } }, { limits: { cpu: '1500m' } }, true],
    ['memory 1024Mi and 1Gi', { limits: { memory: '1024Mi' } }, { limits: { memory: '1Gi' } }, true],
    ['memory 0.5Gi and 512Mi', { limits: { memory: '0.5Gi' } }, { limits: { memory: '512Mi' } }, true],
    ['memory 1e3 and 1k', { requests: { memory: '1e3' } }, { requests: { memory: '1k' } }, true],
    ['memory 1G and 1Gi', { limits: { memory: '1G' } }, { limits: { memory: '1Gi' } }, false],
    ['PVC storage 10Gi and 10240Mi', { storage: '10Gi' }, { storage: '10240Mi' }, true],
    ['emptyDir sizeLimit 1Gi and 1024Mi', { sizeLimit: '1Gi' }, { sizeLimit: '1024Mi' }, true],
    ['quantity-like text outside a quantity field', { version: '1k' }, { version: '1000' }, false],
    ['false and absent', { hostNetwork: false }, {}, true],
    ['0 and absent', { n: 0 }, {}, true],
    ['"" and absent', { s: '' }, {}, true],
    ['[] and absent', { l: [] }, {}, true],
    ['{} and absent', { emptyDir: {} }, {}, true],
    ['a non-empty object and absent', { securityContext: { runAsNonRoot: false } }, {}, false],
    ['true and absent', { b: true }, {}, false],
    ['null in desired (not set)', { a: null }, { a: 'x' }, true],
    ['a scalar list with equal items', ['a', 'b'], ['a', 'b'], true],
    ['a scalar list in another order', ['a', 'b'], ['b', 'a'], false],
    ['a scalar list with an extra live item', ['a'], ['a', 'b'], false],
    ['an object list with defaults added', [{ name: 'a' }], [{ name: 'a', protocol: 'TCP' }], true],
    ['an object list in another order', [{ name: 'a' }, { name: 'b' }], [{ name: 'b' }, { name: 'a' }], true],
    ['an object list missing one of ours', [{ name: 'a' }, { name: 'b' }], [{ name: 'a' }, { name: 'c' }], false],
    ['an object list where two of ours match one live entry', [{ name: 'a' }, { name: 'a' }], [{ name: 'a' }], false],
    ['a map where live has extra keys', { a: '1' }, { a: '1', b: '2' }, true],
    ['an object against a scalar', { a: '1' }, 'x', false],
    ['a list against an object', ['a'], { 0: 'a' }, false],
  ];
  for (const [what, desired, live, expected, path] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${what}`, () => {
      assert.equal(contains(desired, live, path ?? []), expected);
    });
  }
});

describe('sameQuantity', () => {
  const cases: [string | number, string | number, boolean][] = [
    ['100m', '0.1', true], ['1', 1, true], ['2Gi', '2048Mi', true], ['1Ki', '1024', true], ['1k', '1000', true],
    ['1.5', '1500m', true], ['1e-3', '1m', true], ['-1', '-1000m', true], ['1Mi', '1M', false], ['abc', 'abc', false], ['', '0', false],
    ['0', '0m', true], ['.5', '500m', true], ['5.', '5', true], ['1E3', '1k', true],
  ];
  for (const [a, b, expected] of cases) {
    it(`says ${JSON.stringify(a)} and ${JSON.stringify(b)} are ${expected ? '' : 'not '}the same amount`, () => {
      assert.equal(sameQuantity(a, b), expected);
    });
  }
});

describe('apply', () => {
  it('sends a server-side apply with the field manager, force and the desired hash, without status', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: { kind: 'Deployment' } }));
    const desired = { ...desiredDeployment(), status: { replicas: 9 } };
    await apply(client, desired);
    const [req] = sent;
    assert.ok(req);
    assert.equal(req.method, 'PATCH');
    assert.equal(req.url.pathname, '/apis/apps/v1/namespaces/team-a/deployments/forwarder');
    assert.equal(req.url.searchParams.get('fieldManager'), 'agent-operator');
    assert.equal(req.url.searchParams.get('force'), 'true');
    assert.equal(req.headers['Content-Type'], 'application/apply-patch+yaml');
    const body = req.body as Record<string, any>;
    assert.equal(body.status, undefined);
    assert.equal(body.metadata.annotations[desiredHashAnnotation], desiredHash(desiredDeployment()));
    assert.deepEqual(body.spec, desiredDeployment()['spec']);
  });

  it('passes dryRun=All when asked', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: {} }));
    await apply(client, desiredDeployment(), { dryRun: true });
    assert.equal(sent[0]?.url.searchParams.get('dryRun'), 'All');
  });

  it('knows where each owned kind lives and refuses others', () => {
    const meta = { name: 'n', namespace: 'ns' };
    assert.equal(objectPath({ apiVersion: 'v1', kind: 'Service', metadata: meta }), '/api/v1/namespaces/ns/services/n');
    assert.equal(objectPath({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta }), '/api/v1/namespaces/ns/configmaps/n');
    assert.equal(objectPath({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta }), '/api/v1/namespaces/ns/persistentvolumeclaims/n');
    assert.equal(objectPath({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta }), '/apis/policy/v1/namespaces/ns/poddisruptionbudgets/n');
    assert.throws(() => objectPath({ apiVersion: 'v1', kind: 'Secret', metadata: meta }), /not a kind the operator owns/);
  });
});

describe('remove', () => {
  const ref = { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: 'web' };

  it('deletes the object with background propagation', async () => {
    const { client, sent } = fakeClient(() => ({ status: 200, body: {} }));
    await remove(client, ref);
    assert.equal(sent[0]?.method, 'DELETE');
    assert.equal(sent[0]?.url.pathname, '/api/v1/namespaces/ns/services/web');
    assert.deepEqual(sent[0]?.body, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
  });

  it('guards the delete with the uid when given, and takes a mismatch as done', async () => {
    const { client, sent } = fakeClient(() => conflict('Precondition failed'));
    await remove(client, { ...ref, uid: 'u-1' });
    assert.deepEqual((sent[0]?.body as { preconditions: unknown }).preconditions, { uid: 'u-1' });
  });

  it('takes an object that is already gone as done', async () => {
    const { client } = fakeClient(() => notFound());
    await remove(client, ref);
  });

  it('lets other errors through', async () => {
    const { client } = fakeClient(() => ({ status: 403, body: { kind: 'Status', code: 403, message: 'forbidden' } }));
    await assert.rejects(remove(client, ref), /forbidden/);
  });
});

// RBAC rendered by the chart is exactly the operator's permission table
// (src/kube/permissions.ts, which test/unit/kube/permissions.test.ts holds to
// the calls the code makes): no wildcard, no verb more, in cluster mode
// (ClusterRole) and namespaced mode (Roles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { one, releaseNamespace, skipWithoutHelm as skip, template, type K8sObject } from './helm.ts';
import { permissions as table, type Scope } from '../../../src/kube/permissions.ts';

interface PolicyRule { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
type Role = K8sObject & { rules: PolicyRule[] };
type Binding = K8sObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };

/** group/resource -> sorted verbs of one scope of the operator's permission table (the code's own record of its calls). */
function declaredCalls(scope: Scope): Record<string, string[]> {
  return Object.fromEntries(table.filter((p) => p.scope === scope).map((p) => [`${p.group === '' ? 'core' : p.group}/${p.resource}`, [...p.verbs].sort()]));
}
const operatorCalls = declaredCalls('watched');
/** Cluster mode's one ClusterRole: the watched calls and NodeLost's nodes get. */
const clusterModeCalls = { ...operatorCalls, ...declaredCalls('nodeRead') };

function permissions(rules: PolicyRule[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const r of rules) {
    assert.equal(r.nonResourceURLs, undefined, 'no non-resource URLs');
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) {
      const key = `${g === '' ? 'core' : g}/${res}`;
      out[key] ??= new Set();
      for (const v of r.verbs) out[key].add(v);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

function assertNoWildcard(role: Role): void {
  for (const r of role.rules) {
    for (const field of [r.apiGroups, r.resources, r.verbs, r.resourceNames]) {
      assert.ok(!(field ?? []).some((x) => x.includes('*')), `${role.kind}/${role.metadata.name} has a wildcard: ${JSON.stringify(r)}`);
    }
  }
}

const roles = (objects: K8sObject[]) => objects.filter((o): o is Role => o.kind === 'Role' || o.kind === 'ClusterRole');

test('no RBAC rule in any mode has a wildcard group, resource, verb or name', { skip }, () => {
  for (const values of [{}, { 'watchNamespaces[0]': 'team-a' }] as Record<string, string>[]) {
    const found = roles(template(values));
    assert.ok(found.length >= 2);
    for (const role of found) assertNoWildcard(role);
  }
});

test('cluster mode grants exactly the operator calls through one ClusterRole bound to the chart ServiceAccount', { skip }, () => {
  const objects = template();
  const cr = one(objects, 'ClusterRole') as Role;
  assert.deepEqual(permissions(cr.rules), clusterModeCalls);
  assert.deepEqual(declaredCalls('nodeRead'), { 'core/nodes': ['get'] });
  const crb = one(objects, 'ClusterRoleBinding') as Binding;
  const sa = one(objects, 'ServiceAccount');
  assert.deepEqual(crb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cr.metadata.name });
  assert.deepEqual(crb.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: releaseNamespace }]);
  const deploy = one(objects, 'Deployment') as K8sObject & { spec: { template: { spec: { serviceAccountName: string } } } };
  assert.equal(deploy.spec.template.spec.serviceAccountName, sa.metadata.name);
});

test('cluster mode names its ClusterRole and binding agent-operator whatever the release is called: one per cluster, so Helm refuses a second', { skip }, () => {
  for (const values of [{}, { fullnameOverride: 'other' }, { nameOverride: 'x' }] as Record<string, string>[]) {
    const objects = template(values);
    assert.equal(one(objects, 'ClusterRole').metadata.name, 'agent-operator');
    assert.equal(one(objects, 'ClusterRoleBinding').metadata.name, 'agent-operator');
  }
});

test('the leader-election Role grants exactly the table\'s lease permissions, in the release namespace', { skip }, () => {
  for (const values of [{}, { 'watchNamespaces[0]': 'team-a' }] as Record<string, string>[]) {
    const objects = template(values);
    const le = one(objects, 'Role', 'agent-operator-leader-election') as Role;
    assert.equal(le.metadata.namespace, releaseNamespace);
    assert.deepEqual(permissions(le.rules), declaredCalls('lease'));
    assert.deepEqual(declaredCalls('lease'), { 'coordination.k8s.io/leases': ['create', 'get', 'update'] }, 'leases only, nothing else in that namespace');
    const binding = one(objects, 'RoleBinding', 'agent-operator-leader-election') as Binding;
    assert.equal(binding.metadata.namespace, releaseNamespace);
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: le.metadata.name });
  }
  const moved = one(template({ 'leaderElection.namespace': 'elsewhere' }), 'Role', 'agent-operator-leader-election');
  assert.equal(moved.metadata.namespace, 'elsewhere');
});

test('namespaced mode puts a Role and RoleBinding in each watched namespace and nothing cluster-wide', { skip }, () => {
  const objects = template({ 'watchNamespaces[0]': 'team-a', 'watchNamespaces[1]': 'team-b' });
  assert.ok(!objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
  const operatorRoles = roles(objects).filter((r) => r.metadata.name === 'agent-operator');
  assert.deepEqual(operatorRoles.map((r) => r.metadata.namespace).sort(), ['team-a', 'team-b']);
  for (const role of operatorRoles) assert.deepEqual(permissions(role.rules), operatorCalls);
  const bindings = objects.filter((o): o is Binding => o.kind === 'RoleBinding' && o.metadata.name === 'agent-operator');
  assert.deepEqual(bindings.map((b) => b.metadata.namespace).sort(), ['team-a', 'team-b']);
  for (const b of bindings) {
    assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent-operator' });
    assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'agent-operator', namespace: releaseNamespace }]);
  }
});

test('rbac.create=false renders no RBAC objects at all', { skip }, () => {
  const objects = template({ 'rbac.create': false });
  assert.ok(!objects.some((o) => /Role/.test(o.kind)));
});

test('nodeMetrics.enabled adds one ClusterRole granting only the table\'s nodes/proxy get, in either mode; off, nothing about nodes', { skip }, () => {
  for (const values of [{ 'nodeMetrics.enabled': true }, { 'nodeMetrics.enabled': true, 'watchNamespaces[0]': 'team-a' }] as Record<string, string | boolean>[]) {
    const objects = template(values as Record<string, string>);
    const role = one(objects, 'ClusterRole', 'agent-operator-node-metrics') as Role;
    assert.deepEqual(permissions(role.rules), declaredCalls('nodes'));
    assert.deepEqual(declaredCalls('nodes'), { 'core/nodes/proxy': ['get'] });
    const binding = one(objects, 'ClusterRoleBinding', 'agent-operator-node-metrics') as Binding;
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
  }
  for (const role of roles(template({ 'failover.readNodes': false }))) assert.ok(!JSON.stringify(role.rules).includes('nodes'), `${role.metadata.name} mentions nodes`);
});

test('failover.readNodes: nodes get is in the cluster-mode ClusterRole unless false; namespaced mode gets its own ClusterRole only when true', { skip }, () => {
  assert.deepEqual(permissions((one(template({ 'failover.readNodes': false }), 'ClusterRole') as Role).rules), operatorCalls);
  const namespaced = template({ 'watchNamespaces[0]': 'team-a', 'failover.readNodes': true });
  const role = one(namespaced, 'ClusterRole', 'agent-operator-node-read') as Role;
  assert.deepEqual(permissions(role.rules), declaredCalls('nodeRead'));
  const binding = one(namespaced, 'ClusterRoleBinding', 'agent-operator-node-read') as Binding;
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
});

import type { ApiVerb } from '../observability/metrics.ts';

// Every Kubernetes API call the operator makes, as RBAC names it: one table,
// the only place a permission is written down.
// - The chart's rules are rendered from it (hack/generate.ts writes
//   charts/agent-operator/templates/_rbac-rules.tpl; `--check` fails when stale).
// - The one HTTP transport (src/runtime/kube-http.ts, as src/kube/client.ts
//   wires it) refuses a request the table does not declare, before it is sent:
//   a new call without its row fails the first unit test that makes it, not
//   a production install with a 403.
// - test/unit/kube/permissions.test.ts drives every I/O path and checks the
//   table holds exactly the verbs they use: no verb nobody calls.
// Adding a call: add or extend its row here, run `node hack/generate.ts`.

export type Scope =
  /** Every watched namespace (ClusterRole in cluster mode, a Role per namespace otherwise). */
  | 'watched'
  /** The leader-election namespace only. */
  | 'lease'
  /** Cluster-scoped, and granted only when the chart's nodeMetrics.enabled is set (--node-metrics). */
  | 'nodes'
  /** Cluster-scoped, granted unless the chart's failover.readNodes is false (then NodeLost goes unreported). */
  | 'nodeRead';

export interface Permission {
  scope: Scope;
  /** API group; '' is the core group. */
  group: string;
  /** Plural resource, with `/subresource` when it is one. */
  resource: string;
  verbs: readonly ApiVerb[];
  /** Why the operator needs it: a comment on the rendered rule. */
  why: string;
}

// Server-side apply creates the object when it does not exist yet, and the
// apiserver then also authorizes `create`: every applied kind needs both.
// `get`: before a create the name is read, so an object that is not the
// Agent's (the caches see only the operator's label) is never overwritten.
const applied = ['get', 'list', 'watch', 'patch', 'create'] as const;

export const permissions: readonly Permission[] = [
  { scope: 'watched', group: 'agent-operator.dev', resource: 'agents', verbs: ['list', 'watch'], why: 'the Agent cache' },
  { scope: 'watched', group: 'agent-operator.dev', resource: 'agents/status', verbs: ['patch'], why: 'status by server-side apply on the subresource' },
  { scope: 'watched', group: 'apps', resource: 'deployments', verbs: applied, why: 'owned, applied' },
  { scope: 'watched', group: 'apps', resource: 'daemonsets', verbs: applied, why: 'owned, applied (spec.mode DaemonSet)' },
  { scope: 'watched', group: 'apps', resource: 'statefulsets', verbs: applied, why: 'owned, applied (spec.mode StatefulSet)' },
  { scope: 'watched', group: 'apps', resource: 'replicasets', verbs: ['list', 'watch'], why: 'rollback reads the pod templates of earlier revisions' },
  { scope: 'watched', group: 'apps', resource: 'controllerrevisions', verbs: ['list', 'watch'], why: 'rollback reads the pod templates of earlier DaemonSet and StatefulSet revisions' },
  { scope: 'watched', group: '', resource: 'pods', verbs: ['list', 'watch', 'delete', 'patch'], why: 'health; delete is the RestartPod remediation; patch sets only the agent-operator.dev/config-* annotations on the Agent\'s own pods (reload InPlace/HTTP): the update makes the kubelet rewrite the mounted config at once, where its periodic sync takes up to a minute or two' },
  { scope: 'watched', group: '', resource: 'services', verbs: [...applied, 'delete'], why: 'owned; deleted when the ports go or ClusterIP<->Headless switches' },
  { scope: 'watched', group: '', resource: 'configmaps', verbs: [...applied, 'delete'], why: 'owned rendered configs, one immutable ConfigMap per content (deleted once no ReplicaSet mounts one); get: also referenced config layers' },
  { scope: 'watched', group: '', resource: 'persistentvolumeclaims', verbs: applied, why: 'owned state volume, never deleted by the operator' },
  { scope: 'watched', group: 'policy', resource: 'poddisruptionbudgets', verbs: [...applied, 'delete'], why: 'owned; deleted at one replica' },
  { scope: 'watched', group: '', resource: 'secrets', verbs: ['list', 'watch', 'get'], why: 'read only: a metadata-only watch and targeted reads of referenced keys (hashed, never stored)' },
  { scope: 'watched', group: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['list', 'watch'], why: 'dependsOn services: ready endpoints' },
  { scope: 'watched', group: '', resource: 'events', verbs: ['create', 'patch', 'list'], why: 'events on Agents; patch counts a repeat; list: the kubelet\'s Killing events of a pod whose container restarted (liveness diagnosis)' },
  { scope: 'lease', group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'], why: 'leader election' },
  { scope: 'nodeRead', group: '', resource: 'nodes', verbs: ['get'], why: 'NodeLost: the node of a pod that is not Ready (its Ready condition and unreachable/not-ready taints), one GET each, never a watch' },
  { scope: 'nodes', group: '', resource: 'nodes/proxy', verbs: ['get'], why: "opt-in (nodeMetrics.enabled): the kubelet's /metrics/cadvisor through the apiserver, for MemoryNearLimit, CPUThrottled and the proactive memory raise" },
];

/** What RBAC checks for one request: verb, group and resource (with its subresource). */
export interface RequestAttributes {
  verb: ApiVerb;
  group: string;
  /** Plural resource, `resource/subresource`, or `nonresource` for /version and the like. */
  resource: string;
}

/**
 * The attributes of a request as the apiserver's authorizer sees them (and as
 * its audit log names them).
 */
export function requestAttributes(method: string, url: URL): RequestAttributes {
  const segs = url.pathname.split('/').filter((s) => s !== '');
  const group = segs[0] === 'apis' ? (segs[1] ?? '') : '';
  let rest = segs[0] === 'api' ? segs.slice(2) : segs[0] === 'apis' ? segs.slice(3) : [];
  // /namespaces/{ns}/{resource}/... is a namespaced resource; /namespaces/{name}[/status|/finalize] is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  const verb: ApiVerb =
    method === 'GET' ? (url.searchParams.get('watch') === 'true' ? 'watch' : name === undefined && resource !== undefined ? 'list' : 'get')
      : method === 'POST' ? 'create'
      : method === 'PUT' ? 'update'
      : method === 'PATCH' ? 'patch'
      : method === 'DELETE' ? (name === undefined ? 'deletecollection' : 'delete')
      : 'get';
  return { verb, group, resource: resource === undefined ? 'nonresource' : subresource === undefined ? resource : `${resource}/${subresource}` };
}

/** Every verb RBAC checks for a request: a server-side apply of an object (not a subresource) may create it. */
export function verbsChecked(method: string, url: URL, contentType: string | undefined): RequestAttributes[] {
  const attrs = requestAttributes(method, url);
  const apply = method === 'PATCH' && contentType?.startsWith('application/apply-patch') === true && !attrs.resource.includes('/');
  return apply ? [attrs, { ...attrs, verb: 'create' }] : [attrs];
}

export class UndeclaredRequestError extends Error {
  override readonly name = 'UndeclaredRequestError';
}

/** Whether the table grants `attrs` (in any scope: the request's namespace is the caller's business). */
export function declared(attrs: RequestAttributes, table: readonly Permission[] = permissions): boolean {
  return table.some((p) => p.group === attrs.group && p.resource === attrs.resource && p.verbs.includes(attrs.verb));
}

/**
 * Throws UndeclaredRequestError when the request needs a permission the table
 * does not list: the chart would not grant it, so it must not be sent.
 */
export function assertDeclared(method: string, url: URL, contentType?: string): void {
  for (const attrs of verbsChecked(method, url, contentType)) {
    if (!declared(attrs)) {
      throw new UndeclaredRequestError(
        `${method} ${url.pathname} needs "${attrs.verb}" on ${attrs.group || 'core'}/${attrs.resource}, which src/kube/permissions.ts does not declare: ` +
        'add it to the table and run `node hack/generate.ts` so the chart grants it',
      );
    }
  }
}

import type { V1Container, V1EndpointSlice, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { StoredAgent } from '../api/stored-agent.ts';

// What the caches keep of the objects the operator reads but never writes
// back (controller-runtime's cache TransformFunc), so memory follows what the
// reconciler reads, not what the apiserver sends. Each transform keeps every
// field a reader of that cache uses; test/unit/reconcile/cache-transforms.test.ts
// holds the plan to the same result with and without it.
//
// Not transformed, and why: Deployments, DaemonSets and StatefulSets are
// compared field by field with the desired object (needsApply) and their
// template, defaults and all, with the ReplicaSets' (runsTemplate);
// ReplicaSets' and ControllerRevisions' pod templates are the rollback
// targets, applied whole; Services, ConfigMaps, PVCs and PDBs are the
// operator's own and few. What every cache shares instead: its string values
// (src/runtime/string-table.ts, in toCached), one copy for all objects.

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * An Agent, without the annotation `kubectl apply` (client-side) keeps the
 * whole applied object in: a second copy of the spec, as a string, that
 * nothing in the operator reads (the spec itself is right there). The rest,
 * status included, is the reconciler's input and stays.
 */
export function agentForCache(agent: StoredAgent): StoredAgent {
  const annotations = agent.metadata?.annotations;
  if (annotations === undefined || !(lastApplied in annotations)) return agent;
  const { [lastApplied]: _dropped, ...rest } = annotations;
  return { ...agent, metadata: { ...agent.metadata, annotations: rest } };
}

/**
 * A pod: metadata (labels, annotations, owner, timestamps) and the whole
 * status (detection reads every part of it), but of the spec only what is
 * read: the node (usage scraper, DaemonSet fleet summary, NodeLost and the lost-node release), each container's
 * and init container's name and resources (the memory limit an OOM kill is
 * judged against, the usage limits), and the ConfigMap volumes (config GC
 * keeps what a pod mounts). Env, probes, commands, security context,
 * tolerations and the rest of the volumes are dropped: most of a pod, and
 * env may hold plain values nobody here needs.
 */
export function podForCache(pod: V1Pod): V1Pod {
  const { spec, ...rest } = pod;
  if (spec === undefined) return pod;
  const container = (c: V1Container): V1Container => ({ name: c.name, ...(c.resources ? { resources: c.resources } : {}) });
  const volumes = (spec.volumes ?? []).flatMap((v): V1Volume[] => (v.configMap?.name ? [{ name: v.name, configMap: { name: v.configMap.name } }] : []));
  return {
    ...rest,
    spec: {
      containers: (spec.containers ?? []).map(container),
      ...(spec.initContainers?.length ? { initContainers: spec.initContainers.map(container) } : {}),
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      ...(volumes.length ? { volumes } : {}),
    },
  };
}

/**
 * An EndpointSlice (every one in the watched namespaces, not only the
 * operator's): a dependsOn Service is ready when one endpoint is, so each
 * endpoint keeps its ready condition and nothing else; the slice keeps its
 * metadata (the service-name label is the index) and address type. The
 * addresses and ports go: an endpoint here is a vote, not a destination.
 */
export function endpointSliceForCache(slice: V1EndpointSlice): V1EndpointSlice {
  const { endpoints, ports: _ports, ...rest } = slice;
  return {
    ...rest,
    endpoints: (endpoints ?? []).map((e) => ({ addresses: [], ...(e.conditions?.ready !== undefined ? { conditions: { ready: e.conditions.ready } } : {}) })),
  };
}

import type {
  V1ConfigMap, V1ControllerRevision, V1DaemonSet, V1Deployment, V1StatefulSet, V1EndpointSlice, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1ReplicaSet, V1Service,
} from '@kubernetes/client-node';
import { group, plural, version } from '../api/agent.ts';
import type { StoredAgent } from '../api/stored-agent.ts';
import { operatorName } from '../desired/labels.ts';
import { agentForCache, endpointSliceForCache, podForCache } from './cache-transforms.ts';
import type { Clock, Random } from '../runtime/clock.ts';
import { Informer } from '../runtime/informer.ts';
import type { KubeTransport } from '../runtime/kube-http.ts';
import { KubeListWatcher, type ResourceRef } from '../runtime/kube-list-watch.ts';
import type { KubeObject } from '../runtime/kube-object.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ReadonlyStore } from '../runtime/store.ts';

// Every cache the Agent controller reads. Owned objects are watched through
// the managed-by label, so the operator caches its own objects only; Secrets
// and ConfigMaps it merely references are watched metadata-only (memory does
// not grow with unrelated large Secrets) and read by targeted GETs when an
// Agent that uses them reconciles.

const managedBy = `app.kubernetes.io/managed-by=${operatorName}`;

interface Kind { resource: ResourceRef; labelSelector?: string; metadataOnly?: boolean; transform?: (obj: never) => unknown }

/** What each cache keeps of its objects (cache-transforms.ts); a kind not named here is kept whole. */
export const cacheTransforms = {
  agents: agentForCache,
  pods: podForCache,
  endpointSlices: endpointSliceForCache,
} as const;

const kinds = {
  agents: { resource: { group, version, plural, namespaced: true }, transform: cacheTransforms.agents },
  deployments: { resource: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true }, labelSelector: managedBy },
  daemonSets: { resource: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true }, labelSelector: managedBy },
  statefulSets: { resource: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true }, labelSelector: managedBy },
  replicaSets: { resource: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true }, labelSelector: managedBy },
  // The DaemonSet and StatefulSet controllers copy the pod template's labels (ours) onto each revision.
  controllerRevisions: { resource: { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true }, labelSelector: managedBy },
  pods: { resource: { group: '', version: 'v1', plural: 'pods', namespaced: true }, labelSelector: managedBy, transform: cacheTransforms.pods },
  services: { resource: { group: '', version: 'v1', plural: 'services', namespaced: true }, labelSelector: managedBy },
  configMaps: { resource: { group: '', version: 'v1', plural: 'configmaps', namespaced: true }, labelSelector: managedBy },
  pvcs: { resource: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true }, labelSelector: managedBy },
  pdbs: { resource: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true }, labelSelector: managedBy },
  secretMeta: { resource: { group: '', version: 'v1', plural: 'secrets', namespaced: true }, metadataOnly: true },
  configMapMeta: { resource: { group: '', version: 'v1', plural: 'configmaps', namespaced: true }, metadataOnly: true },
  endpointSlices: { resource: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true }, transform: cacheTransforms.endpointSlices },
} as const satisfies Record<string, Kind>;

type KindName = keyof typeof kinds;

interface Types {
  agents: StoredAgent; deployments: V1Deployment; daemonSets: V1DaemonSet; statefulSets: V1StatefulSet;
  replicaSets: V1ReplicaSet; controllerRevisions: V1ControllerRevision; pods: V1Pod; services: V1Service;
  configMaps: V1ConfigMap; pvcs: V1PersistentVolumeClaim; pdbs: V1PodDisruptionBudget;
  secretMeta: KubeObject; configMapMeta: KubeObject; endpointSlices: V1EndpointSlice;
}

/**
 * One informer per kind and watched namespace (RBAC in namespaced mode grants
 * no cluster-wide list), with a facade that reads the right one by namespace.
 */
export class NamespacedCache<T extends KubeObject> {
  readonly informers: Informer<T>[];
  readonly #byNamespace: Map<string, Informer<T>>;

  constructor(informers: Map<string, Informer<T>>) {
    this.#byNamespace = informers;
    this.informers = [...informers.values()];
  }

  #for(namespace: string): ReadonlyStore<T> | undefined {
    return (this.#byNamespace.get(namespace) ?? this.#byNamespace.get(''))?.store;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#for(namespace)?.get(namespace, name);
  }

  list(namespace: string): T[] {
    return this.#for(namespace)?.list(namespace) ?? [];
  }

  byIndex(namespace: string, index: string, value: string): T[] {
    return this.#for(namespace)?.byIndex(index, value) ?? [];
  }

  addIndex(name: string, fn: (obj: T) => string[]): void {
    for (const i of this.informers) i.addIndex(name, fn);
  }

  listAll(): T[] {
    return this.informers.flatMap((i) => i.store.list());
  }
}

export type Caches = { [K in KindName]: NamespacedCache<Types[K] & KubeObject> };

export interface CacheOptions {
  transport: KubeTransport;
  /** Empty: all namespaces. */
  namespaces: readonly string[];
  logger: Logger;
  clock?: Clock;
  random?: Random;
}

export function createCaches(opts: CacheOptions): Caches {
  const namespaces = opts.namespaces.length ? opts.namespaces : [''];
  const out: Partial<Record<KindName, NamespacedCache<KubeObject>>> = {};
  for (const [name, kind] of Object.entries(kinds) as [KindName, Kind][]) {
    const informers = new Map<string, Informer<KubeObject>>();
    for (const ns of namespaces) {
      const listWatcher = new KubeListWatcher<KubeObject>(opts.transport, {
        resource: kind.resource,
        ...(ns ? { namespace: ns } : {}),
        ...(kind.labelSelector ? { labelSelector: kind.labelSelector } : {}),
        ...(kind.metadataOnly ? { metadataOnly: true } : {}),
      });
      informers.set(ns, new Informer<KubeObject>({
        name: `${name}${ns ? `@${ns}` : ''}`,
        listWatcher,
        logger: opts.logger,
        ...(kind.metadataOnly ? { metadataOnly: true } : {}),
        ...(kind.transform ? { transform: kind.transform as (obj: KubeObject) => KubeObject } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.random ? { random: opts.random } : {}),
      }));
    }
    out[name] = new NamespacedCache(informers);
  }
  return out as unknown as Caches;
}

export function allInformers(c: Caches): Informer<KubeObject>[] {
  return (Object.values(c) as NamespacedCache<KubeObject>[]).flatMap((k) => k.informers);
}

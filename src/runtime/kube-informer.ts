import { Informer, type InformerOptions } from './informer.ts';
import type { KubeTransport } from './kube-http.ts';
import { KubeListWatcher, type KubeListWatchOptions } from './kube-list-watch.ts';
import type { KubeObject } from './kube-object.ts';

export type KubeInformerOptions<T extends KubeObject> = KubeListWatchOptions &
  Omit<InformerOptions<T>, 'listWatcher' | 'metadataOnly' | 'name'> & { name?: string };

/**
 * An informer on the apiserver. With `metadataOnly` both halves agree: the
 * transport asks for PartialObjectMetadata and the cache keeps metadata only.
 *
 *   const secrets = kubeInformer(http, { resource: { group: '', version: 'v1', plural: 'secrets', namespaced: true }, metadataOnly: true, logger });
 */
export function kubeInformer<T extends KubeObject>(transport: KubeTransport, opts: KubeInformerOptions<T>): Informer<T> {
  const { resource, namespace, labelSelector, fieldSelector, metadataOnly, name, ...informerOpts } = opts;
  const listWatcher = new KubeListWatcher<T>(transport, {
    resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labelSelector !== undefined ? { labelSelector } : {}),
    ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    metadataOnly: metadataOnly ?? false,
  });
  const group = resource.group === '' ? '' : `.${resource.group}`;
  return new Informer<T>({
    ...informerOpts,
    name: name ?? `${resource.plural}${group}${metadataOnly ? ' (metadata)' : ''}`,
    listWatcher,
    metadataOnly: metadataOnly ?? false,
  });
}

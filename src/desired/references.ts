import type { AgentSpec } from '../api/spec.ts';

/**
 * Every Secret and ConfigMap an Agent reads. The reconciler gathers these
 * (to hold a rollout on a missing one, and to digest their content into the
 * revision) and indexes them to map a Secret/ConfigMap event back to the
 * Agents that use it. `key` absent means the whole object (envFrom, volumes).
 * `optional` is false when any use of the same name/key is required.
 */
export interface Reference { name: string; key?: string; optional: boolean }
export interface References { secrets: Reference[]; configMaps: Reference[] }

export function references(spec: AgentSpec): References {
  const secrets = new Collector();
  const configMaps = new Collector();
  for (const e of spec.env ?? []) {
    const s = e.valueFrom?.secretKeyRef;
    if (s) secrets.add(s.name, s.key, s.optional);
    const c = e.valueFrom?.configMapKeyRef;
    if (c) configMaps.add(c.name, c.key, c.optional);
  }
  for (const e of spec.envFrom ?? []) {
    if (e.secretRef) secrets.add(e.secretRef.name, undefined, e.secretRef.optional);
    if (e.configMapRef) configMaps.add(e.configMapRef.name, undefined, e.configMapRef.optional);
  }
  // A config layer is never optional: a missing layer would silently change the merged config.
  for (const layer of spec.config?.layers ?? []) {
    if (layer.configMap) configMaps.add(layer.configMap.name, layer.configMap.key, false);
  }
  for (const v of spec.podTemplate?.volumes ?? []) {
    if (v.secret) secrets.add(v.secret.secretName, undefined, v.secret.optional);
    if (v.configMap) configMaps.add(v.configMap.name, undefined, v.configMap.optional);
  }
  return { secrets: secrets.list(), configMaps: configMaps.list() };
}

/**
 * The key under which the reconciler passes a reference's content digest in
 * `inputs.referenceDigests`: `Secret/<name>/<key>`, `Secret/<name>` (the whole
 * Secret), `ConfigMap/<name>/<key>`, `ConfigMap/<name>`, the form
 * src/kube/secrets.ts `readReferencedDigests` produces. Names and keys cannot
 * contain `/`, so the keys are unambiguous.
 */
export function digestKey(kind: 'Secret' | 'ConfigMap', ref: Pick<Reference, 'name' | 'key'>): string {
  return ref.key === undefined ? `${kind}/${ref.name}` : `${kind}/${ref.name}/${ref.key}`;
}

/** Every digest key an Agent's revision depends on, sorted. */
export function digestKeys(refs: References): string[] {
  return [
    ...refs.secrets.map((r) => digestKey('Secret', r)),
    ...refs.configMaps.map((r) => digestKey('ConfigMap', r)),
  ].sort();
}

/** Names of the objects referenced, without keys: what an index from Secret/ConfigMap to Agent needs. */
export function referencedNames(refs: References): { secrets: string[]; configMaps: string[] } {
  const names = (list: Reference[]) => [...new Set(list.map((r) => r.name))].sort();
  return { secrets: names(refs.secrets), configMaps: names(refs.configMaps) };
}

class Collector {
  readonly #byId = new Map<string, Reference>();

  add(name: string, key: string | undefined, optional: boolean | undefined): void {
    const id = key === undefined ? name : `${name}/${key}`;
    const prior = this.#byId.get(id);
    const isOptional = optional === true;
    if (prior) prior.optional = prior.optional && isOptional;
    else this.#byId.set(id, key === undefined ? { name, optional: isOptional } : { name, key, optional: isOptional });
  }

  /** Sorted by name, then whole-object before keys, then key: deterministic whatever the spec order. */
  list(): Reference[] {
    return [...this.#byId.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : (a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0);
  }
}

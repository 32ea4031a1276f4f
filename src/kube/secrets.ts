import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { isNotFound } from '../runtime/api-error.ts';
import { call, type KubeClient } from './client.ts';

// The content of referenced Secret keys and ConfigMap layers goes into the pod
// template's revision hash, so a rotated key rolls the pods and an unrelated
// change does not. Secret values never leave this file: they are hashed here,
// and only digests come out.
//
// Secret digests are HMAC-SHA256 keyed with the Secret's uid, not a bare
// sha256: the revision hash is visible to anyone who can read a Deployment,
// and a bare hash of a short password can be brute-forced offline. The uid is
// visible only to those who may read the Secret anyway (RBAC has no
// metadata-only read), stays the same across operator restarts and across
// updates of the Secret, and changes when the Secret is deleted and re-created,
// which rolls the pods once: acceptable for a re-created credential.

export interface Reference {
  name: string;
  /** A single key; without it the whole object (envFrom). */
  key?: string;
  optional?: boolean;
}

export interface References {
  secrets: readonly Reference[];
  configMaps: readonly Reference[];
}

export interface MissingReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  /** Undefined when the object itself is missing. */
  key?: string;
  /** True when every reference to it is optional: the rollout goes on without it. */
  optional: boolean;
}

export interface ReferencedDigests {
  /**
   * `Secret/<name>/<key>`, `Secret/<name>` (whole object, for envFrom),
   * `ConfigMap/<name>/<key>`, `ConfigMap/<name>` -> hex digest, for what exists.
   */
  digests: Record<string, string>;
  /** Sorted by kind, name, key. Required ones (optional false) hold the rollout. */
  missing: MissingReference[];
  /** `<name>/<key>` -> text of each keyed ConfigMap reference that exists, for rendering config layers. */
  configMapTexts: Record<string, string>;
}

/** Raw reads; undefined when the object does not exist. Values as the API holds them. */
export interface ObjectReader {
  readSecret(namespace: string, name: string): Promise<{ uid: string; data: Record<string, string> } | undefined>;
  readConfigMap(namespace: string, name: string): Promise<{ data: Record<string, string>; binaryData: Record<string, string> } | undefined>;
}

/**
 * Targeted GETs (one per distinct object), so the operator never caches the
 * cluster's Secrets: memory stays independent of unrelated Secrets.
 */
export function apiObjectReader(client: KubeClient): ObjectReader {
  const core = (): CoreV1Api => client.makeApiClient(CoreV1Api);
  const orUndefined = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call(fn);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    async readSecret(namespace, name) {
      const s = await orUndefined(() => core().readNamespacedSecret({ name, namespace }));
      return s && { uid: s.metadata?.uid ?? '', data: s.data ?? {} };
    },
    async readConfigMap(namespace, name) {
      const c = await orUndefined(() => core().readNamespacedConfigMap({ name, namespace }));
      return c && { data: c.data ?? {}, binaryData: c.binaryData ?? {} };
    },
  };
}

export async function readReferencedDigests(reader: ObjectReader, namespace: string, refs: References): Promise<ReferencedDigests> {
  const digests: Record<string, string> = {};
  const configMapTexts: Record<string, string> = {};
  const missing = new Map<string, MissingReference>();
  const noteMissing = (m: MissingReference): void => {
    const id = `${m.kind}/${m.name}/${m.key ?? ''}`;
    const seen = missing.get(id);
    // One required reference makes it required, however many optional ones there are.
    missing.set(id, { ...m, optional: (seen?.optional ?? true) && m.optional });
  };

  for (const [name, group] of groupByName(refs.secrets)) {
    const secret = await reader.readSecret(namespace, name);
    if (secret === undefined) {
      // The object itself is missing: one entry without a key, not one per key.
      noteMissing({ kind: 'Secret', name, optional: group.every((r) => r.optional ?? false) });
      continue;
    }
    const bytes = (b64: string): Buffer => Buffer.from(b64, 'base64');
    for (const r of group) {
      if (r.key === undefined) {
        digests[`Secret/${name}`] = wholeDigest(() => createHmac('sha256', secret.uid), secret.data, bytes);
      } else if (Object.hasOwn(secret.data, r.key)) {
        digests[`Secret/${name}/${r.key}`] = createHmac('sha256', secret.uid).update(bytes(secret.data[r.key] ?? '')).digest('hex');
      } else {
        noteMissing({ kind: 'Secret', name, key: r.key, optional: r.optional ?? false });
      }
    }
  }

  for (const [name, group] of groupByName(refs.configMaps)) {
    const cm = await reader.readConfigMap(namespace, name);
    if (cm === undefined) {
      noteMissing({ kind: 'ConfigMap', name, optional: group.every((r) => r.optional ?? false) });
      continue;
    }
    // One view of both maps: text keys as UTF-8, binary keys decoded from base64.
    const values: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(cm.binaryData)) values[k] = Buffer.from(v, 'base64');
    for (const [k, v] of Object.entries(cm.data)) values[k] = Buffer.from(v, 'utf8');
    for (const r of group) {
      if (r.key === undefined) {
        digests[`ConfigMap/${name}`] = wholeDigest(() => createHash('sha256'), values, (b) => b);
      } else {
        const value = values[r.key];
        if (value === undefined) {
          noteMissing({ kind: 'ConfigMap', name, key: r.key, optional: r.optional ?? false });
          continue;
        }
        digests[`ConfigMap/${name}/${r.key}`] = createHash('sha256').update(value).digest('hex');
        configMapTexts[`${name}/${r.key}`] = value.toString('utf8');
      }
    }
  }

  const order = (m: MissingReference): string => `${m.kind}\0${m.name}\0${m.key ?? ''}`;
  return {
    digests,
    missing: [...missing.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)),
    configMapTexts,
  };
}

function groupByName(refs: readonly Reference[]): Map<string, Reference[]> {
  const out = new Map<string, Reference[]>();
  for (const r of refs) out.set(r.name, [...(out.get(r.name) ?? []), r]);
  return out;
}

/** Every key and value, in key order, length-framed so no two different maps hash alike. */
function wholeDigest<V>(start: () => Hash | Hmac, entries: Record<string, V>, toBytes: (v: V) => Buffer): string {
  const h = start();
  for (const key of Object.keys(entries).sort()) {
    const value = toBytes(entries[key] as V);
    h.update(`${key.length}:${key}${value.length}:`).update(value);
  }
  return h.digest('hex');
}

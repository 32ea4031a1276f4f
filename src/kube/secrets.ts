import type { Hash, Hmac } from 'node:crypto';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { MissingReference as Missing } from '../health/diagnose-spec.ts';
import { ifFound } from '../runtime/api-error.ts';
import type { KubeClient } from './client.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { createHash, createHmac } = process.getBuiltinModule('node:crypto');

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
//
// The one exception to "only digests come out": texts the caller hands in
// (a dead container's termination message, which is whatever the program
// printed) come back with every referenced Secret value replaced, scrubbed
// here with the values this very read fetched, so no value is kept or cached
// anywhere, and no read is added: the reconcile reads these Secrets anyway.

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

/** As the status reports it (health/diagnose-spec.ts), and whether it holds the rollout. */
export interface MissingReference extends Missing {
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
  /**
   * The texts handed in to scrub, by the caller's ids, each with every
   * referenced Secret value replaced by `<redacted Secret name/key>`. A text
   * is left out (withheld) when a referenced Secret or key could not be read:
   * what it may hold cannot be known then.
   */
  scrubbed?: Record<string, string>;
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
  // Raw GETs, not the generated CoreV1Api (its model layer is ~60 MiB of RSS, src/kube/client-node-config.ts).
  const get = <T>(kind: 'secrets' | 'configmaps', namespace: string, name: string) =>
    ifFound(client.request<T>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}` }));
  return {
    async readSecret(namespace, name) {
      const s = await get<V1Secret>('secrets', namespace, name);
      return s && { uid: s.metadata?.uid ?? '', data: s.data ?? {} };
    },
    async readConfigMap(namespace, name) {
      const c = await get<V1ConfigMap>('configmaps', namespace, name);
      return c && { data: c.data ?? {}, binaryData: c.binaryData ?? {} };
    },
  };
}

export async function readReferencedDigests(reader: ObjectReader, namespace: string, refs: References, toScrub: Readonly<Record<string, string>> = {}): Promise<ReferencedDigests> {
  const digests: Record<string, string> = {};
  /** Referenced Secret values (decoded) -> where they come from; lives for this call only. */
  const secretValues = new Map<string, string>();
  const configMapTexts: Record<string, string> = {};
  const missing = new Map<string, MissingReference>();
  const noteMissing = (m: MissingReference): void => {
    const id = `${m.kind}/${m.name}/${m.key ?? ''}`;
    const seen = missing.get(id);
    // One required reference makes it required, however many optional ones there are.
    missing.set(id, { ...m, optional: (seen?.optional ?? true) && m.optional });
  };

  for (const kind of ['Secret', 'ConfigMap'] as const) {
    for (const [name, group] of groupByName(kind === 'Secret' ? refs.secrets : refs.configMaps)) {
      const obj = await readKeys(reader, kind, namespace, name);
      if (obj === undefined) {
        // The object itself is missing: one entry without a key, not one per key.
        noteMissing({ kind, name, optional: group.every((r) => r.optional ?? false) });
        continue;
      }
      for (const r of group) {
        if (r.key === undefined) {
          digests[`${kind}/${name}`] = wholeDigest(obj.hash(), obj.keys);
          if (kind === 'Secret') for (const [key, value] of obj.keys) secretValues.set(value.toString('utf8'), `${name}/${key}`);
          continue;
        }
        const value = obj.keys.get(r.key);
        if (value === undefined) {
          noteMissing({ kind, name, key: r.key, optional: r.optional ?? false });
          continue;
        }
        digests[`${kind}/${name}/${r.key}`] = obj.hash().update(value).digest('hex');
        if (kind === 'Secret') secretValues.set(value.toString('utf8'), `${name}/${r.key}`);
        else configMapTexts[`${name}/${r.key}`] = value.toString('utf8');
      }
    }
  }

  const order = (m: MissingReference): string => `${m.kind}\0${m.name}\0${m.key ?? ''}`;
  const out: ReferencedDigests = {
    digests,
    missing: [...missing.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)),
    configMapTexts,
  };
  const unreadable = out.missing.some((m) => m.kind === 'Secret');
  if (Object.keys(toScrub).length && !unreadable) {
    out.scrubbed = {};
    for (const [id, text] of Object.entries(toScrub)) out.scrubbed[id] = scrubSecretValues(text, secretValues);
  }
  return out;
}

/** Shorter partial values at a text's edges are not worth hiding: they match by chance. */
const minEdgeChars = 4;

/**
 * `text` with every exact occurrence of a value replaced by
 * `<redacted Secret name/key>` (longest values first, in one pass, so a value
 * inside another is no hole). Each value counts with and without surrounding
 * whitespace (a key written from a file often ends in a newline the program
 * does not print). At the edges a part of a value counts too, from
 * `minEdgeChars` characters: the kubelet keeps a log's tail, whose first line
 * may start inside a value, and a program killed mid-write ends inside one.
 * Exact text only: an encoded value (base64, URL, JSON escapes) is not found.
 */
export function scrubSecretValues(text: string, values: ReadonlyMap<string, string>): string {
  const labels = new Map<string, string>();
  for (const [value, label] of values) {
    for (const v of [value, value.trim()]) if (v !== '' && !labels.has(v)) labels.set(v, label);
  }
  if (labels.size === 0) return text;
  const marker = (label: string): string => `<redacted Secret ${label}>`;
  const sorted = [...labels.keys()].sort((a, b) => b.length - a.length);
  const escape = (v: string): string => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let out = text.replace(new RegExp(sorted.map(escape).join('|'), 'g'), (m) => marker(labels.get(m)!));
  for (const v of sorted) {
    for (let n = v.length - 1; n >= minEdgeChars; n--) {
      if (out.startsWith(v.slice(-n))) { out = marker(labels.get(v)!) + out.slice(n); break; }
    }
    for (let n = v.length - 1; n >= minEdgeChars; n--) {
      if (out.endsWith(v.slice(0, n))) { out = out.slice(0, out.length - n) + marker(labels.get(v)!); break; }
    }
  }
  return out;
}

/**
 * One referenced object's keys as bytes (a Secret's decoded from base64; a
 * ConfigMap's text keys as UTF-8 and binary keys decoded from base64), and the
 * hash its values are digested with: HMAC keyed with its uid for a Secret.
 */
interface ObjectKeys { keys: Map<string, Buffer>; hash: () => Hash | Hmac }

async function readKeys(reader: ObjectReader, kind: 'Secret' | 'ConfigMap', namespace: string, name: string): Promise<ObjectKeys | undefined> {
  const decoded = (data: Record<string, string>, encoding: BufferEncoding): [string, Buffer][] => Object.entries(data).map(([k, v]) => [k, Buffer.from(v, encoding)]);
  if (kind === 'Secret') {
    const s = await reader.readSecret(namespace, name);
    return s && { keys: new Map(decoded(s.data, 'base64')), hash: () => createHmac('sha256', s.uid) };
  }
  const c = await reader.readConfigMap(namespace, name);
  return c && { keys: new Map([...decoded(c.binaryData, 'base64'), ...decoded(c.data, 'utf8')]), hash: () => createHash('sha256') };
}

function groupByName(refs: readonly Reference[]): Map<string, Reference[]> {
  const out = new Map<string, Reference[]>();
  for (const r of refs) out.set(r.name, [...(out.get(r.name) ?? []), r]);
  return out;
}

/** Every key and value, in key order, length-framed so no two different maps hash alike. */
function wholeDigest(h: Hash | Hmac, keys: ReadonlyMap<string, Buffer>): string {
  for (const key of [...keys.keys()].sort()) {
    const value = keys.get(key)!;
    h.update(`${key.length}:${key}${value.length}:`).update(value);
  }
  return h.digest('hex');
}

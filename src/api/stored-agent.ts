import { z } from 'zod';
import { deepFreeze } from '../lib/deep-freeze.ts';
import { Agent } from './agent.ts';
import { AgentSpec } from './spec.ts';
// Not `import`: an ES import of a builtin loads its lazy exports too (test/unit/kube/module-graph.test.ts).
const { isDeepStrictEqual } = process.getBuiltinModule('node:util');

/**
 * An Agent as the apiserver stored it, which is what the cache holds: the
 * metadata is the apiserver's own and typed, but the spec and status are
 * whatever a CRD of their day accepted (an older version, or one installed
 * without its schema), so nothing may be assumed of them. `readAgent` is the
 * one way to an `Agent`.
 */
export interface StoredAgent {
  apiVersion?: string;
  kind?: string;
  metadata: Agent['metadata'];
  spec?: unknown;
  status?: unknown;
}

/**
 * What the operator can read of a stored Agent. `invalid` names each value of
 * the spec the schema refuses (`spec.ports.0.name: ...`); empty, `agent` is
 * the stored Agent as parsed. Otherwise `agent` is what the schema accepts of
 * it: every refused value left out, as if unset (an element of a list without
 * a required field goes whole), and a refused image read as ''. The
 * reconciler holds the rollout of such an Agent and reports InvalidSpec, so
 * nothing is built from the image; what it still converges (Service, PDB,
 * claim) follows the values that were accepted. A status value the schema
 * refuses is left out the same way and is not the spec's fault: the operator
 * writes its status anew.
 */
export interface AgentReading { agent: Agent; invalid: string[] }

/** The schema that reads: the Agent's, but a missing or refused image is '' (the path above). */
const Readable = Agent.extend({ spec: AgentSpec.extend({ image: z.string().default('') }) });

// Cached objects are frozen and replaced, never changed, on each new version:
// one reading per version, shared by the indexes, mappers and reconciles, and
// frozen like the cache, so no reader can change what the next one reads.
const readings = new WeakMap<StoredAgent, AgentReading>();

export function readAgent(stored: StoredAgent): AgentReading {
  let reading = readings.get(stored);
  if (reading === undefined) readings.set(stored, (reading = deepFreeze(read(stored))));
  return reading;
}

function read(stored: StoredAgent): AgentReading {
  const strict = Agent.safeParse(stored);
  // The parse is a copy; when it holds exactly what was stored (the usual
  // case: the schema applies no default and strips nothing of a valid
  // Agent), the stored object is the reading, so the cache's Agents are not
  // held twice (the reading lives as long as the stored object).
  if (strict.success) return { agent: isDeepStrictEqual(strict.data, stored) ? stored as Agent : strict.data, invalid: [] };
  const invalid = strict.error.issues.filter((i) => i.path[0] === 'spec').map((i) => `${i.path.join('.')}: ${i.message}`);
  let value: unknown = { ...stored, spec: isObject(stored.spec) ? stored.spec : {} };
  // Each round leaves out one refused value (or the object holding a missing one), so it ends.
  for (let round = 0; round < 10_000; round++) {
    const readable = Readable.safeParse(value);
    if (readable.success) return { agent: readable.data, invalid };
    value = without(value, readable.error.issues[0]!.path);
  }
  throw new Error(`Agent ${stored.metadata.namespace ?? ''}/${stored.metadata.name}: no readable part found`);
}

/**
 * `value` without what `path` names: a property deleted, a list element
 * removed. When nothing is there (a required field is missing), the object
 * holding it goes instead; the spec itself becomes {}. Copies only along the
 * path (a structuredClone of a deeply nested value would recurse too far).
 */
function without(value: unknown, path: readonly PropertyKey[]): unknown {
  if (path.length === 0) return value;
  if (path.length === 1 && path[0] === 'spec') return { ...(value as object), spec: {} };
  if (lookup(value, path) === undefined) return without(value, path.slice(0, -1));
  const [head, ...rest] = path as [PropertyKey, ...PropertyKey[]];
  if (!isObject(value)) return value;
  if (Array.isArray(value)) {
    const copy = [...value] as unknown[];
    if (rest.length) copy[head as number] = without(copy[head as number], rest);
    else copy.splice(head as number, 1);
    return copy;
  }
  const copy: Record<PropertyKey, unknown> = { ...value };
  if (rest.length) copy[head] = without(copy[head], rest);
  else delete copy[head];
  return copy;
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = isObject(at) ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

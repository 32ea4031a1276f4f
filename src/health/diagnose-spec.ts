import type { AgentSpec } from '../api/spec.ts';

// Texts for what the operator sees itself, before any pod runs: missing
// references, dependencies, config layers, probes. Same rule as diagnose.ts:
// the cause, then one concrete fix; names and keys only, never a value.

/** The parts of a spec that reference Secrets and ConfigMaps. Only names and keys are read. */
export type ReferenceSources = Pick<AgentSpec, 'env' | 'envFrom' | 'config' | 'podTemplate'>;

/** A referenced Secret/ConfigMap, or one of its keys, that does not exist. `key` absent: the object itself. */
export interface MissingReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  key?: string;
}

/** A dependency the Agent waits for. `detail`: e.g. the dependency's own Ready reason. */
export interface DependencyWait {
  kind: 'Agent' | 'Service';
  name: string;
  state: 'Missing' | 'NotReady';
  detail?: string;
}

/** A config layer that cannot be merged. `problem`: the parser's words (config text, not a secret). */
export interface ConfigLayerError {
  layer: number;
  configMap?: { name: string; key: string };
  problem: string;
}

const listed = 3;

/** The spec fields that use a Secret/ConfigMap (and key, when given), as a user would write the path. */
export function fieldsUsing(spec: ReferenceSources | undefined, kind: 'Secret' | 'ConfigMap', name: string, key?: string): string[] {
  if (!spec) return [];
  const out: string[] = [];
  const keyMatches = (k: string) => key === undefined || k === key;
  for (const e of spec.env ?? []) {
    const ref = kind === 'Secret' ? e.valueFrom?.secretKeyRef : e.valueFrom?.configMapKeyRef;
    if (ref?.name === name && keyMatches(ref.key)) out.push(`env[${e.name}].valueFrom.${kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'}`);
  }
  if (key === undefined) {
    (spec.envFrom ?? []).forEach((e, i) => {
      const ref = kind === 'Secret' ? e.secretRef : e.configMapRef;
      if (ref?.name === name) out.push(`envFrom[${i}].${kind === 'Secret' ? 'secretRef' : 'configMapRef'}`);
    });
    for (const v of spec.podTemplate?.volumes ?? []) {
      if (kind === 'Secret' ? v.secret?.secretName === name : v.configMap?.name === name) out.push(`podTemplate.volumes[${v.name}].${kind === 'Secret' ? 'secret' : 'configMap'}`);
    }
  }
  if (kind === 'ConfigMap') {
    (spec.config?.layers ?? []).forEach((l, i) => {
      if (l.configMap?.name === name && keyMatches(l.configMap.key)) out.push(`config.layers[${i}].configMap`);
    });
  }
  return out;
}

export function missingReferenceMessage(missing: readonly MissingReference[], spec?: ReferenceSources): string {
  const texts = missing.map((m) => {
    const used = fieldsUsing(spec, m.kind, m.name, m.key);
    const by = used.length ? ` (used by ${used.join(', ')})` : '';
    return m.key === undefined
      ? `${m.kind} ${m.name} does not exist${by}`
      : `${m.kind} ${m.name} has no key ${m.key}${by}`;
  });
  const fix = missing.length === 1 && missing[0]!.key !== undefined ? 'add the key or fix the reference' : missing.length === 1 ? 'create it or fix the reference' : 'create them or fix the references';
  return `${some(texts)}: ${fix}; the rollout is held until then and what runs keeps running`;
}

export function dependencyMessage(waits: readonly DependencyWait[]): string {
  const texts = waits.map((w) => {
    if (w.state === 'Missing') return `${w.kind} ${w.name} does not exist`;
    const what = w.kind === 'Agent' ? `Agent ${w.name} is not Ready` : `Service ${w.name} has no ready endpoints`;
    return w.detail ? `${what} (${w.detail})` : what;
  });
  return `waiting for spec.dependsOn before starting pods: ${some(texts)}: bring ${waits.length === 1 ? 'it' : 'them'} up or remove ${waits.length === 1 ? 'it' : 'them'} from spec.dependsOn`;
}

export function dependencyCycleMessage(cycle: readonly string[]): string {
  const loop = [...cycle, ...(cycle.length ? [cycle[0]!] : [])].join(' -> ');
  return `spec.dependsOn forms a cycle (${loop}), so none of these Agents can start: remove one of these dependencies`;
}

export function invalidConfigMessage(errors: readonly ConfigLayerError[]): string {
  const texts = errors.map((e) => {
    const from = e.configMap ? ` (ConfigMap ${e.configMap.name}, key ${e.configMap.key})` : ' (inline)';
    return `config.layers[${e.layer}]${from} is not a YAML/JSON mapping: ${e.problem}`;
  });
  return `${some(texts)}: make each layer a mapping of keys to values; the rollout is held until then`;
}

export function invalidSpecMessage(problems: readonly string[]): string {
  return some(problems);
}

export const probesMissingMessage =
  'no liveness or readiness probe: the spec has no ports and no health section, so a hung agent goes unnoticed: add health.liveness and health.readiness (exec, httpGet or tcpSocket), or a port';

export const probesConfiguredMessage = 'liveness and readiness probes are in place';

/** The first few, then how many more: messages stay readable with many items. */
export function some(texts: readonly string[]): string {
  if (texts.length <= listed) return texts.join('; ');
  return `${texts.slice(0, listed).join('; ')}; and ${texts.length - listed} more`;
}

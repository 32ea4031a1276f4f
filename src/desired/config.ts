import { parseDocument, stringify } from 'yaml';
import type { ResolvedConfig } from './defaults.ts';
import { deeperThan, maxRenderedConfigBytes, tooDeepText } from '../api/bounds.ts';
import { deepMerge, isMapping, type Mapping } from './merge.ts';

/**
 * Layered configuration: each layer is parsed into a mapping, the mappings are
 * deep-merged in order (rules in merge.ts: later wins, lists replaced, `null`
 * removes a key), and the result is rendered as JSON when fileName ends in
 * .json, YAML otherwise. The same layers always render the same bytes.
 */

export type ConfigResult =
  | { ok: true; content: string }
  | { ok: false; reason: 'InvalidConfig' | 'ConfigMapNotFound'; message: string };

export type ParseResult = { ok: true; value: Mapping } | { ok: false; problem: string };

/**
 * Parses one ConfigMap layer as YAML 1.2 (JSON is YAML). An empty document
 * (blank, or only comments) is an empty mapping: it contributes nothing.
 * Duplicate keys are an error, not "last one wins", since the intent is unclear.
 */
export function parseLayer(text: string): ParseResult {
  // resolveKnownTags false: YAML 1.1 tags (!!binary, !!timestamp) stay plain strings, so every value renders as JSON too.
  // logLevel error: yaml's warnings would go to stderr, around the operator's JSON logs.
  let value: unknown;
  try {
    // Inside the try: the YAML library recurses, and a ConfigMap is anyone's text (a deep one overflows the stack).
    const doc = parseDocument(text, { version: '1.2', uniqueKeys: true, resolveKnownTags: false, logLevel: 'error' });
    const error = doc.errors[0];
    if (error?.code === 'MULTIPLE_DOCS') return { ok: false, problem: 'holds more than one YAML document (a --- separator)' };
    // The YAML library turns its own stack overflow into a parse error.
    if (error && /call stack/i.test(error.message)) return { ok: false, problem: `is ${tooDeepText}` };
    if (error) return { ok: false, problem: `is not valid YAML (${firstLine(error.message)})` };
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, problem: `is ${tooDeepText}` };
    return { ok: false, problem: `cannot be read (${firstLine(e instanceof Error ? e.message : String(e))})` };
  }
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (!isMapping(value)) return { ok: false, problem: `is a ${describe(value)} at the top level, not a mapping` };
  if (deeperThan(value)) return { ok: false, problem: `is ${tooDeepText}` };
  return { ok: true, value };
}

/**
 * `layerTexts[i]` is the text of layer i when it is a ConfigMap layer
 * (undefined for inline layers). Messages name the layer, its ConfigMap and
 * key, and the fix; they never quote the content.
 */
export function renderConfig(config: Pick<ResolvedConfig, 'fileName' | 'layers'>, layerTexts: readonly (string | undefined)[]): ConfigResult {
  const mappings: Mapping[] = [];
  for (const [i, layer] of config.layers.entries()) {
    if (layer.inline) {
      // The schema refuses this too; checked again because merging and rendering recurse.
      if (deeperThan(layer.inline)) {
        return { ok: false, reason: 'InvalidConfig', message: `config.layers[${i}] (inline) is ${tooDeepText}: flatten it, or move the data into a ConfigMap layer` };
      }
      mappings.push(layer.inline);
      continue;
    }
    if (!layer.configMap) continue;
    const where = `config.layers[${i}] (ConfigMap ${layer.configMap.name}, key ${layer.configMap.key})`;
    const text = layerTexts[i];
    if (text === undefined) {
      return {
        ok: false,
        reason: 'ConfigMapNotFound',
        message: `${where} could not be read: create the ConfigMap with that key, or fix the name in spec.config.layers[${i}]`,
      };
    }
    const parsed = parseLayer(text);
    if (!parsed.ok) {
      return {
        ok: false,
        reason: 'InvalidConfig',
        message: `${where} ${parsed.problem}: make the key hold a YAML or JSON mapping (key: value lines at the top level)`,
      };
    }
    mappings.push(parsed.value);
  }
  const content = render(deepMerge(...mappings), config.fileName);
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > maxRenderedConfigBytes) {
    return {
      ok: false,
      reason: 'InvalidConfig',
      message: `the merged config is ${bytes} bytes, over the ${maxRenderedConfigBytes} (${maxRenderedConfigBytes / 1024} KiB) allowed: move large data out of spec.config (into a volume from podTemplate.volumes)`,
    };
  }
  return { ok: true, content };
}

/**
 * JSON for *.json, YAML otherwise; both end in a newline. YAML is written with
 * YAML 1.1's quoting rules (`"yes"`, `"on"`, `"0777"`, `"1_000"` quoted), so an
 * agent whose parser is YAML 1.1 (Go yaml.v2, PyYAML) reads the same values as
 * a YAML 1.2 one. No anchors/aliases, no line folding.
 */
export function render(value: Mapping, fileName: string): string {
  if (fileName.toLowerCase().endsWith('.json')) return `${JSON.stringify(value, null, 2)}\n`;
  return stringify(value, { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'bigint') return 'number';
  return typeof value;
}

function firstLine(message: string): string {
  return (message.split('\n', 1)[0] ?? message).replace(/:$/, '');
}

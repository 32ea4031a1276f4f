// A V8 heap snapshot (.heapsnapshot) summarised by what holds the bytes:
// self size per node type and constructor (objects, arrays of properties and
// elements, strings, code), and the strings held more than once (what
// interning would save). Parsed without JSON.parse of the whole file: a
// snapshot of a few hundred MiB of heap is larger than V8's longest string.
import { readFileSync } from 'node:fs';

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  /** `type name` (e.g. `object Object`, `array (object properties)`, `string`), biggest first. */
  byKind: { kind: string; count: number; bytes: number }[];
  strings: { count: number; bytes: number; duplicateBytes: number; topDuplicates: { value: string; count: number; bytes: number }[] };
}

interface Meta { node_fields: string[]; node_types: [string[], ...unknown[]]; node_count: number }

export function summariseHeapSnapshot(file: string, top = 25): HeapSummary {
  const buf = readFileSync(file);
  const nodesAt = buf.indexOf('"nodes":[');
  if (nodesAt < 0) throw new Error(`${file}: no "nodes" array: not a V8 heap snapshot`);
  const head = JSON.parse(`${buf.toString('utf8', 0, nodesAt).trim().replace(/,$/, '')}}`) as { snapshot: { meta: Meta; node_count: number } };
  const meta = head.snapshot.meta;
  const width = meta.node_fields.length;
  const [typeF, nameF, sizeF] = ['type', 'name', 'self_size'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number];
  const types = meta.node_types[0];
  const count = head.snapshot.node_count;
  const nodes = new Float64Array(count * width);
  let p = nodesAt + '"nodes":['.length;
  for (let i = 0; i < nodes.length; i++) {
    while (buf[p]! < 0x30 || buf[p]! > 0x39) p++;
    let n = 0;
    while (buf[p]! >= 0x30 && buf[p]! <= 0x39) n = n * 10 + buf[p++]! - 0x30;
    nodes[i] = n;
  }
  const strings = parseStrings(buf, buf.lastIndexOf('"strings":[') + '"strings":['.length);

  const byKind = new Map<string, { count: number; bytes: number }>();
  const byString = new Map<string, { count: number; bytes: number }>();
  let totalBytes = 0;
  let stringCount = 0;
  let stringBytes = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeF]!] ?? '?';
    const size = nodes[i + sizeF]!;
    totalBytes += size;
    const name = strings[nodes[i + nameF]!] ?? '';
    const isString = type === 'string';
    const kind = isString || type === 'concatenated string' || type === 'sliced string' || type === 'number' || type === 'code' ? type : `${type} ${name.slice(0, 60)}`;
    const k = byKind.get(kind) ?? { count: 0, bytes: 0 };
    k.count++;
    k.bytes += size;
    byKind.set(kind, k);
    if (isString) {
      stringCount++;
      stringBytes += size;
      const s = byString.get(name) ?? { count: 0, bytes: 0 };
      s.count++;
      s.bytes += size;
      byString.set(name, s);
    }
  }
  let duplicateBytes = 0;
  const dups: { value: string; count: number; bytes: number }[] = [];
  for (const [value, s] of byString) {
    if (s.count < 2) continue;
    const wasted = s.bytes - s.bytes / s.count;
    duplicateBytes += wasted;
    dups.push({ value: value.slice(0, 80), count: s.count, bytes: wasted });
  }
  dups.sort((a, b) => b.bytes - a.bytes);
  return {
    totalBytes, nodes: count,
    byKind: [...byKind].map(([kind, v]) => ({ kind, ...v })).sort((a, b) => b.bytes - a.bytes).slice(0, top),
    strings: { count: stringCount, bytes: stringBytes, duplicateBytes, topDuplicates: dups.slice(0, top) },
  };
}

/** The snapshot's "strings" array from `at` (just after its `[`), one JSON string at a time. */
function parseStrings(buf: Buffer, at: number): string[] {
  const out: string[] = [];
  let p = at;
  for (;;) {
    while (buf[p] !== 0x22 && buf[p] !== 0x5d) p++; // '"' or ']'
    if (buf[p] === 0x5d) return out;
    const start = p++;
    while (buf[p] !== 0x22) p += buf[p] === 0x5c ? 2 : 1; // skip escapes
    out.push(JSON.parse(buf.toString('utf8', start, ++p)) as string);
  }
}

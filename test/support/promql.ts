// What the dashboard and alert tests need from PromQL and the exposition
// format: the metric names a query reads, and the names a /metrics page exports.

const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names an expression selects. Label matchers (`{...}`), grouping
 * lists (`by (...)`), strings, durations, Grafana variables and function names
 * (an identifier followed by `(`) are not metric names.
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery windows
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  for (const m of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = text.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    if (keywords.has(m[0].toLowerCase())) continue;
    if (/^\d/.test(text[m.index - 1] ?? '')) continue; // a duration's unit (5m) or exponent
    names.add(m[0]);
  }
  return [...names].sort();
}

/**
 * Names a Prometheus text exposition exports, from its `# TYPE` lines (a
 * labelled metric with no series yet still has one), with the series names a
 * histogram or summary adds.
 */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

// How times are written to and read from status.
//
// metav1.Time serialises with whole seconds. A status written with
// milliseconds reads back without them, so it would differ from the next
// computed status on every reconcile and be written again forever. Every time
// the operator writes is therefore rounded to whole seconds here.

/** RFC 3339 with whole seconds, rounded down (for "happened at"). */
export function statusTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with whole seconds, rounded up (for "not before", so rounding never makes a wait shorter). */
export function statusTimeCeil(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Milliseconds of a time as client-node hands it over: a Date when it went
 * through the ObjectSerializer, a string when it came straight off a watch.
 */
export function toMs(value: Date | string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A duration in the compact way people read it: 45s, 5m, 2m30s, 1h, 1h5m. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  return rest > 0 ? `${m}m${rest}s` : `${m}m`;
}

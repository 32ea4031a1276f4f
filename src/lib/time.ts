// Kubernetes has two timestamp types on the wire. Time (metav1.Time) is
// RFC 3339 in whole seconds; MicroTime (Lease acquire/renew times, Event
// eventTime and series) must have exactly 6 fractional digits: the apiserver
// rejects Date#toISOString's 3 with a 400.
//
// A status written with milliseconds reads back without them, so it would
// differ from the next computed status on every reconcile and be written
// again forever: every Time the operator writes is rounded to whole seconds.

/** `2026-11-27T11:00:00.123000Z` */
export function microTime(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** `2026-11-27T11:00:00Z`: RFC 3339 with whole seconds, rounded down (for "happened at"). */
export function statusTime(at: Date | number): string {
  return new Date(Math.floor(new Date(at).getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
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

/** A time client-node hands over (a Date, or a string straight off the wire) as ISO text; '' when there is none. */
export function isoText(value: Date | string | undefined | null): string {
  return value instanceof Date ? value.toISOString() : String(value ?? '');
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

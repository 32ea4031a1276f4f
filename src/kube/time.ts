// Kubernetes has two timestamp types on the wire. Time (metav1.Time) is
// RFC 3339 in whole seconds; MicroTime (Lease acquire/renew times, Event
// eventTime and series) must have exactly 6 fractional digits: the apiserver
// rejects Date#toISOString's 3 with a 400.

/** `2026-11-27T11:00:00.123000Z` */
export function microTime(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** `2026-11-27T11:00:00Z` */
export function rfc3339(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Either form back to a Date (JavaScript keeps milliseconds); undefined for absent or unparsable text. */
export function parseTime(text: unknown): Date | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

// "0 lost PVCs": every arm's claims listed once the fleet is up and again at
// the end of the run. A claim is lost when it is gone, was replaced (another
// uid), is no longer Bound, or is bound to another volume (the agent's state
// is elsewhere). Pure apart from listClaims.
import type { CoreV1Api } from '@kubernetes/client-node';

export interface Claim { name: string; uid: string; phase: string; volume: string }

export async function listClaims(core: CoreV1Api, namespace: string): Promise<Claim[]> {
  const list = await core.listNamespacedPersistentVolumeClaim({ namespace });
  return list.items.map((p) => ({ name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '', phase: p.status?.phase ?? '', volume: p.spec?.volumeName ?? '' }));
}

/** What happened to each claim of `before` by `after`, as sentences; empty: none lost. */
export function lostClaims(before: readonly Claim[], after: readonly Claim[]): string[] {
  const now = new Map(after.map((c) => [c.name, c]));
  return before.flatMap((b) => {
    const a = now.get(b.name);
    if (!a) return [`${b.name} is gone (was bound to ${b.volume})`];
    if (a.uid !== b.uid) return [`${b.name} was replaced by a new claim (${a.phase} ${a.volume || 'unbound'})`];
    if (a.phase !== 'Bound') return [`${b.name} is ${a.phase || 'in no phase'}, no longer Bound`];
    if (a.volume !== b.volume) return [`${b.name} is bound to ${a.volume}, was ${b.volume}`];
    return [];
  });
}

import type { AgentSpec } from '../api/spec.ts';
import type { RecoveryStatus } from '../api/status.ts';
import { canonicalJson, shortHash } from '../desired/hash.ts';

// What clears remediation. Every spec edit bumps metadata.generation,
// `kubectl scale` included (the scale subresource writes spec.replicas). The
// memory override, the rollback and the hold are decisions about the pods, so
// only an edit of the spec that defines the pods clears them; scaling, the
// disruption budget, the Service and managementState leave the pods' template
// as it was, and clearing on them would bring the failing revision back.

/** Spec fields that do not define the pods. */
const notPodFields = ['replicas', 'disruption', 'managementState', 'service'] as const;

/** A short hash of the spec minus the fields that do not define the pods (status.recovery.specHash). */
export function podSpecKey(spec: AgentSpec): string {
  const rest: Record<string, unknown> = { ...spec };
  for (const k of notPodFields) delete rest[k];
  return shortHash(canonicalJson(rest), 16);
}

/**
 * The recovery record as the policy should see it: one written for an earlier
 * generation whose pods' spec is the same as now is carried into this
 * generation (the policy then keeps what it decided); any other is handed on
 * as it is, and the policy clears it for the new generation. A record from
 * before specHash existed cannot tell, so it clears as before.
 */
export function carryAcrossGenerations(prev: RecoveryStatus | undefined, generation: number, specKey: string): RecoveryStatus | undefined {
  if (prev?.generation === undefined || prev.generation === generation || prev.specHash !== specKey) return prev;
  return { ...prev, generation };
}

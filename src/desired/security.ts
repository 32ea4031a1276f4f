import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import type { PodTemplate } from '../api/pod-template.ts';
import { deepMerge, type Mapping } from './merge.ts';

/**
 * Secure by default, overridable: the user's podTemplate.securityContext
 * merges over these with the config-layer rule (merge.ts). So
 * `container: {capabilities: {add: [NET_BIND_SERVICE]}}` keeps `drop: [ALL]`,
 * `pod: {runAsNonRoot: false}` lets a root image run, and `null` removes a default.
 *
 * readOnlyRootFilesystem is deliberately not forced: agents write buffers,
 * positions and caches, and the state volume is not always where they do it.
 */
export const podSecurityDefaults = {
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const satisfies V1PodSecurityContext;

export const containerSecurityDefaults = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
} as const satisfies V1SecurityContext;

type SecurityOverrides = NonNullable<PodTemplate['securityContext']>;

export function podSecurityContext(overrides: SecurityOverrides | undefined): V1PodSecurityContext | undefined {
  return nonEmpty(deepMerge(clone(podSecurityDefaults), overrides?.pod ?? {})) as V1PodSecurityContext | undefined;
}

export function containerSecurityContext(overrides: SecurityOverrides | undefined): V1SecurityContext | undefined {
  return nonEmpty(deepMerge(clone(containerSecurityDefaults), overrides?.container ?? {})) as V1SecurityContext | undefined;
}

function clone(value: object): Mapping {
  return structuredClone(value) as Mapping;
}

/** An empty context (every default removed with null) is left out rather than sent as `{}`. */
function nonEmpty(m: Mapping): Mapping | undefined {
  return Object.keys(m).length ? m : undefined;
}

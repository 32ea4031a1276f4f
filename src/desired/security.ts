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

/**
 * Added when the Agent has a state volume. A freshly provisioned volume (a
 * hostPath-backed PV the kubelet creates, most block volumes) is owned by
 * root 0755, so the non-root default above could not write its state there:
 * fsGroup makes the kubelet give the volume this group (setgid, group
 * writable) and adds it to the agent's groups, whatever UID the image runs as.
 * OnRootMismatch: the recursive chown runs only when the volume's root does
 * not already carry the group, so a large state volume does not slow every
 * start. 65532 is the conventional "nonroot" ID (distroless images).
 *
 * runAsUser is deliberately not defaulted: an image with no USER runs as
 * root, and silently giving it another UID would turn the kubelet's clear
 * CreateContainerConfigError ("image will run as root") into obscure
 * permission errors inside the agent; the diagnosis names the fix instead.
 */
export const storageSecurityDefaults = {
  fsGroup: 65532,
  fsGroupChangePolicy: 'OnRootMismatch',
} as const satisfies V1PodSecurityContext;

export const containerSecurityDefaults = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
} as const satisfies V1SecurityContext;

type SecurityOverrides = NonNullable<PodTemplate['securityContext']>;

export function podSecurityContext(overrides: SecurityOverrides | undefined, opts: { storage?: boolean } = {}): V1PodSecurityContext | undefined {
  const defaults = opts.storage ? { ...podSecurityDefaults, ...storageSecurityDefaults } : podSecurityDefaults;
  return nonEmpty(deepMerge(clone(defaults), overrides?.pod ?? {})) as V1PodSecurityContext | undefined;
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

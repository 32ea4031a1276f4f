import { shortHash } from './hash.ts';

/**
 * Names of the objects derived from an Agent. An Agent name is any DNS-1123
 * subdomain up to 253 characters (dots allowed); each derived name must be
 * valid for its own kind whatever the Agent is called, deterministic (the same
 * Agent always maps to the same objects, or server-side apply would create a
 * second one), and distinct for distinct Agents in a namespace.
 *
 * The rule everywhere: a name that fits is used as it is; a name that had to
 * change (truncated, dots replaced, prefixed) gets `-<8 hex of sha256(agent name)>`,
 * so `a.b` and `a-b` never collide on one Service or Deployment.
 */

const hashLength = 8;

/**
 * A Deployment name becomes the prefix of ReplicaSet and pod names:
 * `<deployment>-<pod-template-hash (<= 10)>-<5 random>`. Kept at 46 so pod
 * names stay within 63 characters and the pod hostname is never cut.
 * It is a DNS-1123 label (no dots), so the hostname derived from the pod name is one too.
 */
export const deploymentNameMax = 63 - 1 - 10 - 1 - 5;
export const labelValueMax = 63;
export const serviceNameMax = 63;
export const subdomainMax = 253;

const suffixes = { config: '-config', state: '-state' } as const;

/**
 * The workload in every mode: a DNS-1123 label of at most 46 characters, what
 * a Deployment's name needs (above). A DaemonSet's pods are
 * `<name>-<5 random>` and a StatefulSet's `<name>-<ordinal>` with a
 * `controller-revision-hash` label of `<name>-<10 hash>`, all within 63
 * characters at 46. One name for all modes also means a mode can never leave
 * a second workload behind.
 */
export function workloadName(agentName: string): string {
  return asLabel(agentName, deploymentNameMax, false);
}

/** The Service: a DNS-1035 label (starts with a letter, no dots), at most 63 characters. */
export function serviceName(agentName: string): string {
  return asLabel(agentName, serviceNameMax, true);
}

/** Hex digits of the content hash in a rendered-config ConfigMap's name. */
export const configHashLength = 10;

/**
 * The rendered-config ConfigMap of one content: `<agent>-config-<10 hex of
 * the content>`, a DNS-1123 subdomain. Content-addressed, so each distinct
 * config is its own (immutable) object and a pod template names the exact
 * config its revision runs: a rollback to an older ReplicaSet runs that
 * ReplicaSet's config, not the current one.
 */
export function configMapName(agentName: string, contentHash: string): string {
  return withSuffix(agentName, `${suffixes.config}-${contentHash.slice(0, configHashLength)}`);
}

/**
 * The one fixed-name, mutable ConfigMap (`<agent>-config`): what reload modes
 * InPlace and HTTP mount (configmap.ts), and what releases before content
 * addressing wrote for every Agent. An old one is still owned by the Agent
 * after an upgrade; garbage collection (config-gc.ts) deletes it once
 * nothing mounts it and the spec does not ask for it.
 */
export function liveConfigMapName(agentName: string): string {
  return withSuffix(agentName, suffixes.config);
}

/** The state volume claim: `<agent>-state`, a DNS-1123 subdomain. */
export function pvcName(agentName: string): string {
  return withSuffix(agentName, suffixes.state);
}

/** The PodDisruptionBudget: the Agent's own name (always a valid subdomain). */
export function pdbName(agentName: string): string {
  return agentName;
}

/** A label value (<= 63 characters; dots are allowed in label values). */
export function labelValue(agentName: string): string {
  if (agentName.length <= labelValueMax) return agentName;
  return truncateWithHash(agentName, agentName, labelValueMax);
}

function asLabel(agentName: string, max: number, mustStartWithLetter: boolean): string {
  let name = agentName.replaceAll('.', '-');
  if (mustStartWithLetter && !/^[a-z]/.test(name)) name = `a-${name}`;
  if (name === agentName && name.length <= max) return name;
  return truncateWithHash(name, agentName, max);
}

function withSuffix(agentName: string, suffix: string): string {
  const name = agentName + suffix;
  if (name.length <= subdomainMax) return name;
  return truncateWithHash(agentName, agentName, subdomainMax - suffix.length) + suffix;
}

/**
 * `<prefix of name>-<hash of original>`, at most `max` characters. The prefix
 * loses trailing dashes and dots so every dot-separated part still starts and
 * ends with a letter or digit.
 */
function truncateWithHash(name: string, original: string, max: number): string {
  const hash = shortHash(original, hashLength);
  const prefix = name.slice(0, max - hashLength - 1).replace(/[-.]+$/, '');
  return prefix === '' ? hash : `${prefix}-${hash}`;
}

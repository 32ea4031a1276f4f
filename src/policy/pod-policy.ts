import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { some } from '../health/diagnose-spec.ts';
import type { Mode } from '../api/mode.ts';
import { hostPathField, withNodeAgentGrant } from './node-agent-grant.ts';
import { checkPodSecurity, type PodSecurityLevel, type PodSecurityViolation } from './pod-security.ts';

// The operator's policy for the pods it builds. Creating an Agent must grant
// no more than the operator's administrator allows, whatever the namespace's
// own Pod Security admission says: the Pod Security Standards at
// --pod-security-level, and a ServiceAccount only from --allowed-service-accounts
// (Kubernetes lets any pod use any ServiceAccount of its namespace, so an
// Agent naming one would otherwise hand its token, and its permissions, to
// whoever wrote the Agent).

export interface PodPolicy {
  level: PodSecurityLevel;
  /** `*`, `<namespace>/*` or `<namespace>/<name>`; `default` is always allowed. */
  allowedServiceAccounts: readonly string[];
  /** Node directories DaemonSet-mode Agents may mount read-only as hostPath (--node-agent-host-paths; node-agent-grant.ts). Default none. */
  nodeAgentHostPaths?: readonly string[];
}

export const defaultPodPolicy: PodPolicy = { level: 'baseline', allowedServiceAccounts: [] };

/** A ServiceAccount pattern as --allowed-service-accounts takes it. */
export const serviceAccountPattern = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?\/(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?))$/;

export function serviceAccountAllowed(policy: PodPolicy, namespace: string, name: string): boolean {
  if (name === 'default') return true;
  return policy.allowedServiceAccounts.some((p) => p === '*' || p === `${namespace}/*` || p === `${namespace}/${name}`);
}

/**
 * Why the operator refuses to run this pod template, one text per offending
 * field in the Agent's own terms (the field to change and what is allowed);
 * empty when the policy allows it.
 */
export function podPolicyProblems(policy: PodPolicy, namespace: string, template: V1PodTemplateSpec, mode?: Mode): string[] {
  const violations = withNodeAgentGrant(checkPodSecurity(policy.level, template), template, policy.nodeAgentHostPaths ?? [], mode);
  const out = violations.map((v) => violationText(policy.level, v, template));
  const sa = template.spec?.serviceAccountName;
  if (sa !== undefined && !serviceAccountAllowed(policy, namespace, sa)) {
    out.push(`spec.podTemplate.serviceAccountName is ${sa}, a ServiceAccount the operator does not let Agents use (its token would carry its permissions): `
      + `leave it unset or use default, or have the operator's administrator add ${namespace}/${sa} to --allowed-service-accounts`);
  }
  return out;
}

/** The condition and event message for the problems podPolicyProblems found. */
export function podPolicyMessage(problems: readonly string[]): string {
  return `the pod breaks the operator's pod policy: ${some(problems)}; the rollout is held and what runs keeps running`;
}

function violationText(level: PodSecurityLevel, v: PodSecurityViolation, template: V1PodTemplateSpec): string {
  const grant = hostPathField.test(v.field)
    ? '; a node agent may read node directories in DaemonSet mode, mounted readOnly, when the operator\'s administrator grants the path in --node-agent-host-paths'
    : '';
  return `${agentField(v.field, template)} is ${v.value}, which the Pod Security Standards forbid at level ${level} (check ${v.check}): `
    + `allowed is ${v.allowed}, or have the operator run with a lower --pod-security-level${grant}`;
}

/**
 * The Agent field a pod field comes from (pod-spec.ts: the pod and agent
 * container securityContexts are podTemplate.securityContext merged over the
 * secure defaults, extra volumes and annotations are podTemplate's). A field
 * the Agent cannot set is named as the pod's.
 */
export function agentField(podField: string, template: V1PodTemplateSpec): string {
  const swap = (from: string, to: string) => (podField.startsWith(from) ? to + podField.slice(from.length) : undefined);
  const volume = /^spec\.volumes\[(\d+)\](.*)$/.exec(podField);
  if (volume) return `spec.podTemplate.volumes[${template.spec?.volumes?.[Number(volume[1])]?.name ?? volume[1]}]${volume[2]}`;
  return swap('spec.securityContext', 'spec.podTemplate.securityContext.pod')
    ?? swap('spec.containers[0].securityContext', 'spec.podTemplate.securityContext.container')
    ?? swap('metadata.annotations', 'spec.podTemplate.annotations')
    ?? `the pod's ${podField}`;
}

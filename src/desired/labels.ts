import { labelValue } from './names.ts';

export const operatorName = 'agent-operator';
export const agentLabel = 'agent-operator.dev/agent';
/** Full Agent name on objects that carry no ownerReference (a retained PVC), since label values may be truncated. */
export const agentNameAnnotation = 'agent-operator.dev/agent-name';
export { revisionAnnotation } from '../api/annotations.ts';

/**
 * The pod selector. It depends only on the Agent's name, because a Deployment's
 * selector is immutable: nothing a user can change in the spec may change it.
 */
export function selectorLabels(agentName: string): Record<string, string> {
  const value = labelValue(agentName);
  return {
    'app.kubernetes.io/name': 'agent',
    'app.kubernetes.io/instance': value,
    'app.kubernetes.io/managed-by': operatorName,
    [agentLabel]: value,
  };
}

/** Pod labels: the user's podTemplate.labels merged under ours, so ours win and the selector always matches. */
export function podLabels(agentName: string, userLabels: Record<string, string> | undefined): Record<string, string> {
  return { ...userLabels, ...selectorLabels(agentName) };
}

/** The selector as `kubectl get -l` and the scale subresource's status.selector write it. */
export function selectorString(agentName: string): string {
  return Object.entries(selectorLabels(agentName)).map(([k, v]) => `${k}=${v}`).join(',');
}

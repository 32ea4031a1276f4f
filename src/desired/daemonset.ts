import type { V1DaemonSet, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { ResolvedSpec } from './defaults.ts';
import { minReadySeconds, revisionHistoryLimit, type WorkloadOptions } from './deployment.ts';
import { selectorLabels } from './labels.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { workloadName } from './names.ts';

/**
 * A node selector no node carries. A DaemonSet cannot be scaled to 0, so an
 * Agent held for its dependencies runs on no node this way instead; the
 * object exists and carries the rest of the current template.
 */
export const heldNodeSelector = { 'agent-operator.dev/held-for-dependencies': 'true' } as const;

/**
 * The DaemonSet: one pod per node the pod template's nodeSelector, affinity
 * and tolerations admit. RollingUpdate with the Agent's bounds (default one
 * node at a time, no surge): what a bad revision can take down before the
 * operator rolls it back. minReadySeconds and revisionHistoryLimit as for a
 * Deployment, for the same reasons (a crash loop's ready moment; rollback
 * reads older ControllerRevisions).
 */
export function daemonSet(owner: Owner, spec: ResolvedSpec, template: V1PodTemplateSpec, opts: WorkloadOptions = {}): Owned<V1DaemonSet> {
  const held: V1PodTemplateSpec = opts.holdForDependencies
    ? { ...template, spec: { ...template.spec!, nodeSelector: { ...template.spec?.nodeSelector, ...heldNodeSelector } } }
    : template;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta(owner, workloadName(owner.name)),
    spec: {
      selector: { matchLabels: selectorLabels(owner.name) },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: spec.daemonSet.maxUnavailable, maxSurge: spec.daemonSet.maxSurge } },
      // As for the Deployment: the pods a memory raise replaces are being OOM-killed, so waiting protects nothing.
      minReadySeconds: opts.readyAtOnce ? 0 : minReadySeconds,
      revisionHistoryLimit,
      template: held,
    },
  };
}

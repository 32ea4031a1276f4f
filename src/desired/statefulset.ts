import type { V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import type { ResolvedSpec } from './defaults.ts';
import { minReadySeconds, revisionHistoryLimit, type WorkloadOptions } from './deployment.ts';
import { selectorLabels } from './labels.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { serviceName, workloadName } from './names.ts';
import { stateVolume } from './pod-spec.ts';
import { claimSpec } from './pvc.ts';

/**
 * The StatefulSet: stable pod names `<name>-0..n-1` and, with spec.storage,
 * one claim per replica (`agent-state-<name>-<ordinal>`) instead of the one
 * shared claim of Deployment mode, so RWO storage scales.
 *
 * serviceName names the Agent's Service (it need not exist: it only sets the
 * pods' DNS subdomain). Claims follow storage.retainOnDelete when the Agent
 * (and so the StatefulSet) is deleted, and are always kept on scale-down: a
 * replica scaled back up finds its buffer or WAL again.
 */
export function statefulSet(owner: Owner, spec: ResolvedSpec, template: V1PodTemplateSpec, opts: WorkloadOptions = {}): Owned<V1StatefulSet> {
  const out: Owned<V1StatefulSet> = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(owner, workloadName(owner.name)),
    spec: {
      replicas: opts.holdForDependencies ? 0 : spec.replicas,
      selector: { matchLabels: selectorLabels(owner.name) },
      serviceName: serviceName(owner.name),
      podManagementPolicy: spec.statefulSet.podManagementPolicy,
      updateStrategy: { type: 'RollingUpdate' },
      // As for the Deployment: the pods a memory raise replaces are being OOM-killed, so waiting protects nothing.
      minReadySeconds: opts.readyAtOnce ? 0 : minReadySeconds,
      revisionHistoryLimit,
      template,
    },
  };
  if (spec.storage) {
    // The claim's spec is the Deployment's claim's (pvc.ts); the name is the pod's volume name.
    out.spec!.volumeClaimTemplates = [{ metadata: { name: stateVolume, labels: selectorLabels(owner.name) }, spec: claimSpec(spec.storage) }];
    out.spec!.persistentVolumeClaimRetentionPolicy = { whenDeleted: spec.storage.retainOnDelete ? 'Retain' : 'Delete', whenScaled: 'Retain' };
  }
  return out;
}

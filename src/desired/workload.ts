import type { V1DaemonSet, V1Deployment, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import { daemonSet } from './daemonset.ts';
import type { ResolvedSpec } from './defaults.ts';
import { deployment, type WorkloadOptions } from './deployment.ts';
import type { Owned, Owner } from './meta.ts';
import { statefulSet } from './statefulset.ts';

/** What runs the Agent's pods: one of three kinds, by spec.mode. */
export type Workload = V1Deployment | V1DaemonSet | V1StatefulSet;

export function workload(owner: Owner, spec: ResolvedSpec, template: V1PodTemplateSpec, opts: WorkloadOptions = {}): Owned<Workload> {
  switch (spec.mode) {
    case 'DaemonSet': return daemonSet(owner, spec, template, opts);
    case 'StatefulSet': return statefulSet(owner, spec, template, opts);
    default: return deployment(owner, spec, template, opts);
  }
}

import type { V1Service, V1ServiceSpec } from '@kubernetes/client-node';
import type { ResolvedSpec } from './defaults.ts';
import { selectorLabels } from './labels.ts';
import { objectMeta, type Owned, type Owner } from './meta.ts';
import { serviceName } from './names.ts';

/**
 * The Service, when enabled and there are ports. Target ports are the
 * container port names, so a changed containerPort needs no Service change.
 * Headless is `clusterIP: None`; for ClusterIP the field is not sent at all,
 * so the apiserver's allocated address is never claimed by the operator.
 */
export function service(owner: Owner, spec: ResolvedSpec): Owned<V1Service> | undefined {
  if (!spec.service.enabled || spec.ports.length === 0) return undefined;
  const svcSpec: V1ServiceSpec = {
    type: 'ClusterIP',
    selector: selectorLabels(owner.name),
    ports: spec.ports.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name, protocol: p.protocol })),
  };
  if (spec.service.type === 'Headless') svcSpec.clusterIP = 'None';
  return { apiVersion: 'v1', kind: 'Service', metadata: objectMeta(owner, serviceName(owner.name)), spec: svcSpec };
}

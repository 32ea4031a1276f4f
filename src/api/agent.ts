import { z } from 'zod';
import { doc } from './cel.ts';
import { AgentSpec } from './spec.ts';
import { AgentStatus } from './status.ts';

export const group = 'agent-operator.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'Agent';
export const plural = 'agents';

const ObjectMeta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
}).loose();

/**
 * The Agent object. Root-level rules are the ones that need metadata.name
 * (the only metadata CEL may read besides generateName).
 */
export const Agent = doc(
  z.object({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: ObjectMeta,
    spec: AgentSpec,
    status: AgentStatus.optional(),
  }),
  {
    description: 'An Agent runs a long-lived agent workload (log forwarder, metrics collector, monitoring agent) with health probes, Secret-sourced configuration, persistent state and automatic remediation.',
    rules: [{
      rule: '!has(self.spec.dependsOn) || !self.spec.dependsOn.exists(d, has(d.agent) && d.agent == self.metadata.name)',
      message: 'spec.dependsOn names this Agent itself, which can never become Ready: remove that entry',
      fieldPath: '.spec.dependsOn',
    }],
  },
);
export type Agent = z.infer<typeof Agent>;

import { z } from 'zod';
import { doc } from './cel.ts';
import { objectName, quantity } from './common.ts';
import { AgentConfig } from './config.ts';
import { EnvFromSource, EnvVar } from './env.ts';
import { Failover, failoverRules } from './failover.ts';
import { DaemonSetOptions, ModeField, modeRules, StatefulSetOptions } from './mode.ts';
import { Health } from './probes.ts';
import { PodTemplate } from './pod-template.ts';
import { Recovery } from './recovery.ts';
import { Storage } from './storage.ts';
import { minAvailable, portName } from './syntax.ts';

export const resourceDefaults = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '256Mi' },
} as const;

const resourceNames = ['cpu', 'memory', 'ephemeral-storage'] as const;
// A request may be 0 (nothing reserved); a limit of 0 limits nothing and
// leaves the memory raise nothing to raise.
const ResourceList = (what: 'requests' | 'limits') => {
  const q = (name: string, example: string) => ({ field: `resources.${what}.${name}`, example, min: what === 'limits' ? 'positive' as const : 'zero' as const });
  return doc(z.object({
    cpu: quantity(`CPU ${what}, e.g. 100m or 1.`, q('cpu', '100m')).optional(),
    memory: quantity(`Memory ${what}, e.g. 256Mi.`, q('memory', '256Mi')).optional(),
    'ephemeral-storage': quantity(`Ephemeral storage ${what}, e.g. 1Gi.`, q('ephemeral-storage', '1Gi')).optional(),
  }), { description: `Resource ${what}.` });
};

/** CEL: for each resource, a limit below its request is refused (the pod would be rejected later, far from the cause). */
const limitAtLeastRequest = resourceNames.map((r) => ({
  rule: `!has(self.requests) || !has(self.limits) || !has(self.requests.${cel(r)}) || !has(self.limits.${cel(r)}) || quantity(string(self.limits.${cel(r)})).compareTo(quantity(string(self.requests.${cel(r)}))) >= 0`,
  message: `resources.limits.${r} must be at least resources.requests.${r}: raise the limit or lower the request`,
  fieldPath: `.limits.${r}`,
}));
function cel(name: string): string {
  return name.includes('-') ? name.replaceAll('-', '__dash__') : name;
}

export const Resources = doc(z.object({ requests: ResourceList('requests').optional(), limits: ResourceList('limits').optional() }), {
  description: `CPU/memory/ephemeral-storage. Defaults: requests cpu ${resourceDefaults.requests.cpu}, memory ${resourceDefaults.requests.memory}; limit memory ${resourceDefaults.limits.memory} (no CPU limit by default: CPU limits throttle agents at bursts). Every limit must be at least its request.`,
  rules: limitAtLeastRequest,
});

export const Port = doc(z.object({
  name: portName,
  containerPort: doc(z.int().min(1).max(65535), { description: 'Port the agent listens on.' }),
  protocol: doc(z.enum(['TCP', 'UDP', 'SCTP']).optional(), { description: 'Default TCP.' }),
}), { description: 'A port the agent listens on. Ports drive the Service and the default probes.' });

export const DependsOn = doc(z.object({
  agent: doc(objectName('Agent').optional(), { description: 'An Agent in the same namespace that must be Ready first.' }),
  service: doc(objectName('Service').optional(), { description: 'A Service in the same namespace that must have a ready endpoint first.' }),
}), {
  description: 'A startup dependency.',
  rules: [{ rule: 'has(self.agent) != has(self.service)', message: 'set exactly one of agent or service in each dependsOn entry' }],
});

export const AgentSpec = doc(
  z.object({
    mode: ModeField,
    image: doc(z.string().min(1).max(1024).regex(/^\S+$/), { description: 'Container image of the agent, e.g. fluent/fluent-bit:3.2. Required.' }),
    command: doc(z.array(z.string().max(4096)).max(64).optional(), { description: 'Entrypoint override.' }),
    args: doc(z.array(z.string().max(4096)).max(256).optional(), { description: 'Arguments.' }),
    imagePullPolicy: doc(z.enum(['Always', 'IfNotPresent', 'Never']).optional(), { description: 'As in a container; Kubernetes defaults apply when unset.' }),
    replicas: doc(z.int().min(0).max(1000).optional(), { description: 'Pod count. Default 1. Scalable with kubectl scale.' }),
    ports: doc(z.array(Port).max(32).optional(), { description: 'Ports; the first TCP port gets the default TCP probes.', ext: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } }),
    resources: Resources.optional(),
    health: Health.optional(),
    env: doc(z.array(EnvVar).max(256).optional(), { description: 'Environment variables. Secrets come from valueFrom.secretKeyRef, never literal values.', ext: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } }),
    envFrom: doc(z.array(EnvFromSource).max(32).optional(), { description: 'Every key of Secrets/ConfigMaps as variables.' }),
    config: AgentConfig.optional(),
    storage: Storage.optional(),
    dependsOn: doc(z.array(DependsOn).max(32).optional(), { description: 'No pods start until each dependency is Ready. Cycles are detected and reported.' }),
    recovery: Recovery.optional(),
    podTemplate: PodTemplate.optional(),
    service: doc(z.object({
      enabled: doc(z.boolean().optional(), { description: 'Default: true when ports exist.' }),
      type: doc(z.enum(['ClusterIP', 'Headless']).optional(), { description: 'Default ClusterIP.' }),
    }).optional(), { description: 'The Service in front of the agent pods.' }),
    disruption: doc(z.object({
      minAvailable: minAvailable('Pods that must stay up during voluntary disruptions (number or percentage).'),
    }).optional(), { description: 'PodDisruptionBudget, created only when replicas > 1.' }),
    daemonSet: DaemonSetOptions.optional(),
    statefulSet: StatefulSetOptions.optional(),
    failover: Failover.optional(),
    managementState: doc(z.enum(['Managed', 'Unmanaged']).optional(), { description: 'Unmanaged: the operator keeps its hands off (no writes to owned objects, no remediation) and only reports. Default Managed.' }),
  }),
  {
    description: 'Desired state of an agent workload. Defaults are applied by the operator, not stored, so GitOps tools see no drift.',
    rules: [
      ...modeRules,
      ...failoverRules,
      {
        rule: "(has(self.mode) && self.mode == 'StatefulSet') || !has(self.storage) || !has(self.replicas) || self.replicas <= 1 || (has(self.storage.accessModes) && (self.storage.accessModes.exists(m, m == 'ReadWriteMany') || self.storage.accessModes.exists(m, m == 'ReadOnlyMany')))",
        message: 'replicas > 1 cannot share one ReadWriteOnce volume (pods would wait forever for it): set spec.mode: StatefulSet (on a new Agent) for one volume per replica, or storage.accessModes: [ReadWriteMany] for one shared volume',
        fieldPath: '.replicas',
      },
      {
        // One claim for every node's pod: with ReadWriteOnce only the pods on one node could ever mount it.
        rule: "!has(self.mode) || self.mode != 'DaemonSet' || !has(self.storage) || (has(self.storage.accessModes) && (self.storage.accessModes.exists(m, m == 'ReadWriteMany') || self.storage.accessModes.exists(m, m == 'ReadOnlyMany')))",
        message: 'spec.storage in DaemonSet mode would be one ReadWriteOnce volume for the pods of every node (all but one node\'s would wait forever): keep per-node state in a podTemplate.volumes hostPath the administrator grants, or set storage.accessModes: [ReadWriteMany] for one shared volume',
        fieldPath: '.storage',
      },
      {
        rule: "!has(self.recovery) || !has(self.recovery.oomKilled) || !has(self.recovery.oomKilled.maxMemory) || !has(self.resources) || !has(self.resources.limits) || !has(self.resources.limits.memory) || quantity(string(self.recovery.oomKilled.maxMemory)).compareTo(quantity(string(self.resources.limits.memory))) >= 0",
        message: 'recovery.oomKilled.maxMemory must be at least resources.limits.memory: raise maxMemory or lower the limit',
        fieldPath: '.recovery.oomKilled.maxMemory',
      },
      {
        rule: '!has(self.podTemplate) || !has(self.podTemplate.volumeMounts) || self.podTemplate.volumeMounts.all(m, has(self.podTemplate.volumes) && self.podTemplate.volumes.exists(v, v.name == m.name))',
        message: 'every podTemplate.volumeMounts[].name must name one of podTemplate.volumes: add the volume or fix the name',
        fieldPath: '.podTemplate.volumeMounts',
      },
    ],
  },
);
export type AgentSpec = z.infer<typeof AgentSpec>;

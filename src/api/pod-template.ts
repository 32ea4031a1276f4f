import { z } from 'zod';
import { doc } from './cel.ts';
import { deeperThan, maxFreeFormDepth, tooDeepText } from './bounds.ts';
import { freeForm, objectName, stringMap } from './common.ts';
import { labelMap } from './syntax.ts';
import { isQuantity, parseQuantity } from '../lib/quantity.ts';

export const reservedPrefix = 'agent-operator.dev/';

// Checked by zod only (the reconciler's InvalidSpec condition names it): the
// CRD's CEL quantity rules inside the 32-entry volume list exceed the
// apiserver's rule cost budget.
const sizeLimit = z.string().max(64).refine((v) => isQuantity(v) && parseQuantity(v) > 0, {
  message: 'emptyDir.sizeLimit must be a Kubernetes quantity more than 0, for example 1Gi',
});

const Volume = doc(
  z.object({
    name: doc(z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), { description: 'Volume name, referenced by volumeMounts.' }),
    hostPath: doc(z.object({ path: z.string().min(1).max(4096), type: z.string().max(64).optional() }).optional(), { description: 'A node directory. Refused under /tmp: a temp dir loses agent state.' }),
    emptyDir: doc(z.object({ medium: z.enum(['', 'Memory']).optional(), sizeLimit: sizeLimit.optional() }).optional(), { description: 'Scratch space that dies with the pod (not for state: use spec.storage).' }),
    secret: doc(z.object({ secretName: objectName('Secret'), optional: z.boolean().optional() }).optional(), { description: 'A Secret as files.' }),
    configMap: doc(z.object({ name: objectName('ConfigMap'), optional: z.boolean().optional() }).optional(), { description: 'A ConfigMap as files.' }),
    persistentVolumeClaim: doc(z.object({ claimName: objectName('PersistentVolumeClaim'), readOnly: z.boolean().optional() }).optional(), { description: 'An existing PVC.' }),
  }),
  {
    description: 'An extra volume for the agent pod.',
    rules: [
      { rule: "!(self.name in ['agent-config', 'agent-state'])", message: 'volume names agent-config and agent-state are the operator\'s (config and state volumes); pick another name', fieldPath: '.name' },
      { rule: '[has(self.hostPath), has(self.emptyDir), has(self.secret), has(self.configMap), has(self.persistentVolumeClaim)].filter(x, x).size() == 1', message: 'set exactly one volume source (hostPath, emptyDir, secret, configMap or persistentVolumeClaim)' },
      {
        rule: "!has(self.hostPath) || !(self.hostPath.path == '/tmp' || self.hostPath.path.startsWith('/tmp/') || self.hostPath.path == '/var/tmp' || self.hostPath.path.startsWith('/var/tmp/'))",
        messageExpression: "'volume ' + self.name + ': hostPath ' + self.hostPath.path + ' is a temp dir, which is wiped on reboot and loses agent state; use spec.storage for a persistent volume'",
        fieldPath: '.hostPath.path', reason: 'FieldValueForbidden',
      },
    ],
  },
);

const VolumeMount = z.object({
  name: z.string().min(1).max(63),
  mountPath: z.string().min(1).max(1024).regex(/^\//),
  readOnly: z.boolean().optional(),
  subPath: z.string().max(1024).optional(),
});

// The fields Kubernetes requires, typed so the apiserver can key the list by
// them and refuse two entries for one key (the Deployment's apply would); the
// rest (labelSelector, minDomains, ...) passes through as in a PodSpec.
const TopologySpreadConstraint = doc(
  z.looseObject({
    maxSkew: z.int().min(1),
    topologyKey: z.string().min(1).max(317),
    whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  }).superRefine((value, ctx) => {
    if (deeperThan(value)) ctx.addIssue({ code: 'custom', message: `${tooDeepText}: flatten it` });
  }),
  { description: `A topology spread constraint (core/v1). At most ${maxFreeFormDepth} levels deep.`, ext: { 'x-kubernetes-preserve-unknown-fields': true } },
);

const reservedKeys = (field: string) => ({
  rule: `self.all(k, !k.startsWith('${reservedPrefix}'))`,
  message: `${field} keys under ${reservedPrefix} are reserved for the operator; pick another prefix`,
});

export const PodTemplate = doc(
  z.object({
    labels: labelMap('podTemplate.labels', 'Extra pod labels.', [reservedKeys('podTemplate.labels')]).optional(),
    annotations: doc(stringMap('Extra pod annotations.'), { description: 'Extra pod annotations.', rules: [reservedKeys('podTemplate.annotations')] }).optional(),
    nodeSelector: labelMap('podTemplate.nodeSelector', 'Node labels the pod must match.').optional(),
    tolerations: doc(z.array(freeForm('A toleration (core/v1 Toleration).')).max(64).optional(), { description: 'Pod tolerations, as in a PodSpec.' }),
    affinity: freeForm('Pod affinity (core/v1 Affinity).').optional(),
    topologySpreadConstraints: doc(z.array(TopologySpreadConstraint).max(16).optional(), {
      description: 'As in a PodSpec: one entry per topologyKey and whenUnsatisfiable.',
      ext: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['topologyKey', 'whenUnsatisfiable'] },
    }),
    priorityClassName: doc(z.string().max(253).optional(), { description: 'Priority class of the agent pods.' }),
    terminationMessagePolicy: doc(z.enum(['File', 'FallbackToLogsOnError']).optional(), { description: "Where the kubelet takes a dead container's termination message from. Default FallbackToLogsOnError: the tail of its log when it failed and wrote no /dev/termination-log, which the operator shows (scrubbed of referenced Secret values, at most 5 lines / 1 KiB) in status.lastFailure.lastWords and in the diagnosis. File keeps only what the agent writes to the file." }),
    serviceAccountName: doc(objectName('ServiceAccount').optional(), { description: 'ServiceAccount; its token is mounted only when set (automountServiceAccountToken follows). Only default or one the operator allows (--allowed-service-accounts); another is refused with PodSecurityViolation.' }),
    securityContext: doc(z.object({
      pod: freeForm('Overrides the secure pod defaults (runAsNonRoot true, seccomp RuntimeDefault; with spec.storage also fsGroup 65532 and fsGroupChangePolicy OnRootMismatch, so the non-root agent can write its state volume). runAsUser is not defaulted: an image that runs as root is refused by the kubelet (CreateContainerConfigError) until you set runAsUser or use a non-root image.').optional(),
      container: freeForm('Overrides the secure container defaults (allowPrivilegeEscalation false, capabilities drop ALL).').optional(),
    }).optional(), { description: 'Overrides of the secure defaults, deep-merged over them like config layers (`null` removes a default). The pod must still meet the operator\'s Pod Security Standards level (--pod-security-level, baseline by default), or the Agent is refused with PodSecurityViolation.' }),
    volumes: doc(z.array(Volume).max(32).optional(), { description: 'Extra volumes.', ext: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } }),
    volumeMounts: doc(z.array(VolumeMount).max(32).optional(), { description: 'Mounts of the extra volumes into the agent container.' }),
  }),
  { description: 'Escape hatch for pod-level settings the Agent API does not model.' },
);
export type PodTemplate = z.infer<typeof PodTemplate>;

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentSpec } from '../../../src/api/spec.ts';

// The operator's own check (zod) refuses what the CRD's CEL refuses
// (test/e2e/crd-validation.test.ts), with the same message: Kubernetes syntax
// that the objects built from an Agent must meet, found by the property tests.

const image = 'registry.example/agent:1';
const refusal = (spec: Record<string, unknown>) => {
  const r = AgentSpec.safeParse({ image, ...spec });
  return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('Kubernetes syntax in an Agent', () => {
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['an all-digit port name', { ports: [{ name: '8080', containerPort: 8080 }] }, /^ports\.0\.name: port name must contain a letter/],
    ['a port name with "--"', { ports: [{ name: 'a--b', containerPort: 8080 }] }, /^ports\.0\.name: .*no "--"/],
    ['a fieldRef the kubelet does not resolve', { env: [{ name: 'C', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }] }, /^env\.0\.valueFrom\.fieldRef\.fieldPath: fieldRef\.fieldPath must be a pod field/],
    ['a label value with a space', { podTemplate: { labels: { team: 'two words' } } }, /^podTemplate\.labels: podTemplate\.labels must be label syntax/],
    ['a label value of 64 characters', { podTemplate: { labels: { team: 'a'.repeat(64) } } }, /^podTemplate\.labels\.team: /],
    ['a node selector key with a space', { podTemplate: { nodeSelector: { 'disk type': 'ssd' } } }, /^podTemplate\.nodeSelector: podTemplate\.nodeSelector must be label syntax/],
    ['minAvailable as text that is no percentage', { disruption: { minAvailable: 'half' } }, /^disruption\.minAvailable: disruption\.minAvailable must be a number of pods or a percentage/],
    ['a storage class with capitals', { storage: { size: '1Gi', storageClassName: 'Fast_SSD' } }, /^storage\.storageClassName: /],
    ['a Secret key starting with ".." (the kubelet refuses it)', { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: '..token' } } }] }, /^env\.0\.valueFrom\.secretKeyRef\.key: Secret key must not be '\.' or start with '\.\.'/],
    ['a ConfigMap key "."', { env: [{ name: 'C', valueFrom: { configMapKeyRef: { name: 'c', key: '.' } } }] }, /^env\.0\.valueFrom\.configMapKeyRef\.key: ConfigMap key must not/],
    ['a config layer key ".."', { config: { layers: [{ configMap: { name: 'c', key: '..' } }] } }, /^config\.layers\.0\.configMap\.key: ConfigMap key must not/],
    ['a DaemonSet update that both surges and takes pods down', { mode: 'DaemonSet', daemonSet: { updateStrategy: { maxUnavailable: '10%', maxSurge: 1 } } }, /^daemonSet\.updateStrategy: .*not both/],
    ['a DaemonSet update with neither', { mode: 'DaemonSet', daemonSet: { updateStrategy: { maxUnavailable: 0, maxSurge: '0%' } } }, /^daemonSet\.updateStrategy: .*never proceeds/],
    ['a DaemonSet maxUnavailable of 0 alone', { mode: 'DaemonSet', daemonSet: { updateStrategy: { maxUnavailable: '0%' } } }, /^daemonSet\.updateStrategy: daemonSet\.updateStrategy\.maxUnavailable 0 needs maxSurge/],
    ['a DaemonSet bound above 100%', { mode: 'DaemonSet', daemonSet: { updateStrategy: { maxSurge: '150%' } } }, /^daemonSet\.updateStrategy\.maxSurge: .*from 0% to 100%/],
    ['a topology spread constraint without whenUnsatisfiable', { podTemplate: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone' }] } }, /^podTemplate\.topologySpreadConstraints\.0\.whenUnsatisfiable: /],
  ];
  for (const [title, spec, message] of refused) {
    it(`refuses ${title}, naming the field`, () => assert.match(refusal(spec) ?? 'accepted', message));
  }

  const accepted: [string, Record<string, unknown>][] = [
    ['port names with letters, digits and single dashes', { ports: [{ name: 'http', containerPort: 80 }, { name: 'metrics-2', containerPort: 9090 }, { name: 'h2c', containerPort: 81 }] }],
    ['every downward-API field an env var may read', { env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/name']" } } }, { name: 'I', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } }] }],
    ['prefixed label keys and empty values', { podTemplate: { labels: { 'example.com/tier': 'agent_1.x', empty: '' }, nodeSelector: { 'kubernetes.io/os': 'linux' } } }],
    ['minAvailable as a number, a numeric string or a percentage', { disruption: { minAvailable: '50%' } }],
    ['minAvailable "2"', { disruption: { minAvailable: '2' } }],
    ['a dotted storage class, or "" for none', { storage: { size: '1Gi', storageClassName: 'fast.ssd-2' } }],
    ['the empty storage class', { storage: { size: '1Gi', storageClassName: '' } }],
    ['keys with dots where the kubelet takes them', { env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: '.hidden' } } }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'agent..yaml' } } }] }],
    ['a DaemonSet that surges without saying maxUnavailable', { mode: 'DaemonSet', daemonSet: { updateStrategy: { maxSurge: '25%' } } }],
    ['a DaemonSet that takes 10% of nodes down and says maxSurge 0', { mode: 'DaemonSet', daemonSet: { updateStrategy: { maxUnavailable: '10%', maxSurge: 0 } } }],
    ['a topology spread constraint with fields beyond the required three', { podTemplate: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { a: 'b' } }, minDomains: 2 }] } }],
  ];
  for (const [title, spec] of accepted) {
    it(`accepts ${title}`, () => assert.equal(refusal(spec), undefined));
  }
});

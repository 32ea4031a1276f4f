import { z } from 'zod';
import { Agent, group, kind, plural, version } from './agent.ts';

type Schema = Record<string, unknown>;
const bigInt = 9007199254740991;

/**
 * zod's JSON Schema -> a Kubernetes structural schema: int-or-string nodes
 * lose their anyOf, free-form records become preserve-unknown-fields, the
 * JS safe-integer bounds zod adds to every int are dropped (they would show
 * in kubectl explain and mean nothing), additionalProperties:false goes
 * (the apiserver prunes unknown fields instead).
 */
export function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (node === null || typeof node !== 'object') return node;
  const s = { ...(node as Schema) };
  delete s.$schema;
  if (s['x-kubernetes-int-or-string']) {
    delete s.anyOf;
    delete s.type;
  }
  if (s.maximum === bigInt) delete s.maximum;
  if (s.minimum === -bigInt) delete s.minimum;
  if (s.additionalProperties === false) delete s.additionalProperties;
  if (s['x-kubernetes-preserve-unknown-fields'] || isEmptySchema(s.additionalProperties)) {
    delete s.additionalProperties;
    s.type = 'object';
    s['x-kubernetes-preserve-unknown-fields'] = true;
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'x-kubernetes-validations' || k === 'enum' || k === 'required') continue;
    s[k] = structural(v);
  }
  return s;
}

function isEmptySchema(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

export function agentOpenAPISchema(): Schema {
  const json = structural(z.toJSONSchema(Agent, { target: 'openapi-3.0', io: 'input', reused: 'inline', unrepresentable: 'any' })) as Schema;
  const properties = json.properties as Schema;
  // apiVersion/kind/metadata are the apiserver's; the schema may only say they exist.
  properties.apiVersion = { type: 'string', description: 'agent-operator.dev/v1alpha1' };
  properties.kind = { type: 'string', description: 'Agent' };
  properties.metadata = { type: 'object' };
  json.required = ['spec'];
  return json;
}

const printerColumns = [
  { name: 'Ready', type: 'string', jsonPath: '.status.readyText', description: 'Ready replicas / desired replicas' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'One-word summary; see conditions' },
  { name: 'Restarts', type: 'integer', jsonPath: '.status.restarts', description: 'Container restarts over current pods' },
  { name: 'Last-Failure', type: 'string', jsonPath: '.status.lastFailure.reason', description: 'Most recent failure class' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Image', type: 'string', jsonPath: '.status.image', priority: 1, description: 'Image running' },
  { name: 'Revision', type: 'string', jsonPath: '.status.revision', priority: 1, description: 'Desired pod template revision' },
];

/** The CustomResourceDefinition, generated; crds/ holds its YAML and a test fails when that is stale. */
export function agentCRD(): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'app.kubernetes.io/name': 'agent-operator', 'app.kubernetes.io/part-of': 'agent-operator' } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: 'agent', shortNames: ['ag'], categories: ['agent-operator'] },
      versions: [{
        name: version,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: agentOpenAPISchema() },
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
        },
        additionalPrinterColumns: printerColumns,
      }],
    },
  };
}

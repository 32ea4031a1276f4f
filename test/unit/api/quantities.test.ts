// Quantities that make no sense are refused by the schema itself (zod here,
// the same rules as CEL in the CRD, exercised by test/e2e/crd-validation),
// with a message naming the field and an example of what to write instead.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AgentSpec } from '../../../src/api/spec.ts';

const valid = { image: 'registry.example/agent:1.0' };

const refused: [string, Record<string, unknown>, string, RegExp][] = [
  ['storage.size "0"', { storage: { size: '0' } }, 'storage.size', /storage\.size must be more than 0, for example 1Gi/],
  ['storage.size 0 as a number', { storage: { size: 0 } }, 'storage.size', /storage\.size must be more than 0/],
  ['a negative storage.size', { storage: { size: '-1Gi' } }, 'storage.size', /storage\.size must be more than 0/],
  ['storage.size "0Gi"', { storage: { size: '0Gi' } }, 'storage.size', /storage\.size must be more than 0/],
  ['a memory limit of 0', { resources: { limits: { memory: '0' } } }, 'resources.limits.memory', /resources\.limits\.memory must be more than 0, for example 256Mi/],
  ['a negative cpu request', { resources: { requests: { cpu: '-100m' } } }, 'resources.requests.cpu', /resources\.requests\.cpu must not be negative, for example 100m or 0/],
  ['maxMemory 0', { recovery: { oomKilled: { maxMemory: '0Mi' } } }, 'recovery.oomKilled.maxMemory', /recovery\.oomKilled\.maxMemory must be more than 0/],
  ['an emptyDir sizeLimit of 0', { podTemplate: { volumes: [{ name: 'v', emptyDir: { sizeLimit: '0' } }] } }, 'podTemplate.volumes.0.emptyDir.sizeLimit', /emptyDir\.sizeLimit must be a Kubernetes quantity more than 0, for example 1Gi/],
  ['text that is not a quantity', { resources: { limits: { memory: 'lots' } } }, 'resources.limits.memory', /resources\.limits\.memory must be a Kubernetes quantity, for example 256Mi/],
];

describe('quantities in the Agent spec', () => {
  for (const [what, spec, path, message] of refused) {
    it(`refuses ${what}, naming ${path}`, () => {
      const r = AgentSpec.safeParse({ ...valid, ...spec });
      assert.equal(r.success, false, `${what} was accepted`);
      const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      assert.ok(issues.some((i) => i.startsWith(`${path}: `) && message.test(i)), issues.join('\n'));
    });
  }

  it('accepts a request of 0 (nothing reserved) and positive sizes and limits', () => {
    const r = AgentSpec.safeParse({
      ...valid,
      resources: { requests: { cpu: 0, memory: '0' }, limits: { memory: '256Mi', 'ephemeral-storage': '1e9' } },
      storage: { size: '1Gi' }, recovery: { oomKilled: { maxMemory: '512Mi' } },
      podTemplate: { volumes: [{ name: 'v', emptyDir: { sizeLimit: '500Mi' } }] },
    });
    assert.deepEqual(r.error?.issues ?? [], []);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { desiredObjects } from '../../fixtures/desired.ts';
import { agentField, podPolicyMessage, podPolicyProblems, serviceAccountAllowed, type PodPolicy } from '../../../src/policy/pod-policy.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

/** The pod template the operator would apply for this Agent. */
function template(a: AgentBuilder): V1PodTemplateSpec {
  const d = desiredObjects(a.build(), { referenceDigests: {}, configLayers: [] });
  assert.ok(d.ok);
  return d.workload.spec!.template;
}

const policy = (level: PodPolicy['level'], allowedServiceAccounts: string[] = []): PodPolicy => ({ level, allowedServiceAccounts });
const base = agent('fwd');

describe('podPolicyProblems', () => {
  it('lets the secure defaults through at every level', () => {
    for (const level of ['privileged', 'baseline', 'restricted'] as const) assert.deepEqual(podPolicyProblems(policy(level), 'default', template(base)), []);
  });

  it('names the Agent field, the check and what is allowed for an added capability', () => {
    const t = template(base.podTemplate({ securityContext: { container: { capabilities: { add: ['SYS_ADMIN'] } } } }));
    assert.deepEqual(podPolicyProblems(policy('baseline'), 'default', t), [
      'spec.podTemplate.securityContext.container.capabilities.add is SYS_ADMIN, which the Pod Security Standards forbid at level baseline (check capabilities_baseline): '
      + 'allowed is AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT, or have the operator run with a lower --pod-security-level',
    ]);
    assert.deepEqual(podPolicyProblems(policy('privileged'), 'default', t), []);
  });

  it('names a hostPath volume by its name in spec.podTemplate.volumes', () => {
    const t = template(base.inlineConfig({ a: 1 }).podTemplate({ volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }], volumeMounts: [{ name: 'logs', mountPath: '/var/log' }] }));
    const [problem] = podPolicyProblems(policy('baseline'), 'default', t);
    assert.match(problem ?? '', /^spec\.podTemplate\.volumes\[logs\]\.hostPath is \/var\/log, .* \(check hostPathVolumes\)/);
  });

  it('refuses root only at restricted, naming the pod-level field', () => {
    const t = template(base.podTemplate({ securityContext: { pod: { runAsNonRoot: false, runAsUser: 0 } } }));
    assert.deepEqual(podPolicyProblems(policy('baseline'), 'default', t), []);
    const problems = podPolicyProblems(policy('restricted'), 'default', t);
    assert.match(problems.join('\n'), /^spec\.podTemplate\.securityContext\.pod\.runAsNonRoot is false, .*\(check runAsNonRoot\)/m);
    assert.match(problems.join('\n'), /^spec\.podTemplate\.securityContext\.pod\.runAsUser is 0, .*\(check runAsUser\)/m);
  });

  it('refuses an unconfined AppArmor annotation under spec.podTemplate.annotations', () => {
    const t = template(base.podTemplate({ annotations: { 'container.apparmor.security.beta.kubernetes.io/agent': 'unconfined' } }));
    assert.match(podPolicyProblems(policy('baseline'), 'default', t)[0] ?? '', /^spec\.podTemplate\.annotations\[container\.apparmor\.security\.beta\.kubernetes\.io\/agent\] is unconfined/);
  });

  it('refuses a ServiceAccount the operator was not told Agents may use, saying how to allow it', () => {
    const t = template(base.podTemplate({ serviceAccountName: 'deployer' }));
    assert.deepEqual(podPolicyProblems(policy('baseline'), 'team-a', t), [
      'spec.podTemplate.serviceAccountName is deployer, a ServiceAccount the operator does not let Agents use (its token would carry its permissions): '
      + 'leave it unset or use default, or have the operator\'s administrator add team-a/deployer to --allowed-service-accounts',
    ]);
    assert.deepEqual(podPolicyProblems(policy('baseline', ['team-a/deployer']), 'team-a', t), []);
  });
});

describe('serviceAccountAllowed', () => {
  const cases: [string[], string, string, boolean][] = [
    [[], 'team-a', 'default', true],
    [[], 'team-a', 'collector', false],
    [['team-a/collector'], 'team-a', 'collector', true],
    [['team-a/collector'], 'team-b', 'collector', false],
    [['team-a/*'], 'team-a', 'anything', true],
    [['team-a/*'], 'team-ab', 'anything', false],
    [['*'], 'team-z', 'anything', true],
  ];
  for (const [allowed, ns, name, expected] of cases) {
    it(`${expected ? 'allows' : 'refuses'} ${ns}/${name} with [${allowed.join(', ')}]`, () => {
      assert.equal(serviceAccountAllowed(policy('baseline', allowed), ns, name), expected);
    });
  }
});

describe('agentField', () => {
  const t: V1PodTemplateSpec = { spec: { containers: [], volumes: [{ name: 'agent-config' }, { name: 'logs' }] } };
  const cases: [string, string][] = [
    ['spec.securityContext.sysctls[0].name', 'spec.podTemplate.securityContext.pod.sysctls[0].name'],
    ['spec.containers[0].securityContext.privileged', 'spec.podTemplate.securityContext.container.privileged'],
    ['spec.volumes[1].hostPath', 'spec.podTemplate.volumes[logs].hostPath'],
    ['metadata.annotations[x]', 'spec.podTemplate.annotations[x]'],
    ['spec.hostNetwork', "the pod's spec.hostNetwork"],
  ];
  for (const [pod, expected] of cases) it(`maps ${pod} to ${expected}`, () => assert.equal(agentField(pod, t), expected));
});

it('podPolicyMessage says the rollout is held and what runs keeps running', () => {
  assert.equal(podPolicyMessage(['a', 'b']), "the pod breaks the operator's pod policy: a; b; the rollout is held and what runs keeps running");
});

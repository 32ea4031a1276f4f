// The operator's pod policy against the real thing. For pods the operator
// builds from Agents (desiredObjects, as it applies them), the verdict of
// src/policy at each Pod Security level must be the verdict of the
// apiserver's own Pod Security admission, in a namespace enforcing that level
// (server-side dry-run create of the pod): same allowed/refused, and the same
// upstream reasons named. Then the operator itself: an Agent asking for more
// than --pod-security-level is refused with a condition and an event naming the
// field, and a running Agent changed that way keeps running as it was.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodTemplate } from '../../src/api/pod-template.ts';
import { desiredObjects } from '../fixtures/desired.ts';
import { podPolicyProblems } from '../../src/policy/pod-policy.ts';
import { checkPodSecurity, checks, type PodSecurityLevel } from '../../src/policy/pod-security.ts';
import { agentEvents, condition, getAgent, patchAgentSpec, waitForCondition, waitReady, apply } from '../support/agents.ts';
import { useCluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { installCRD, startOperator } from '../support/operator.ts';
import { agent, type AgentBuilder } from '../fixtures/agent.ts';

const cluster = useCluster();
const levels: PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

type Sc = NonNullable<PodTemplate['securityContext']>;
const withPod = (pod: Sc['pod']) => agent('p').podTemplate({ securityContext: { pod } });
const withContainer = (container: Sc['container']) => agent('p').podTemplate({ securityContext: { container } });

/** Agents whose pods cover every rule the Agent API can reach, each way. */
const cases: [string, AgentBuilder][] = [
  ['the secure defaults', agent('p')],
  ['config, state and the volume types restricted allows', agent('p').inlineConfig({ a: 1 }).storage('1Gi').podTemplate({
    volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'certs', secret: { secretName: 'certs' } }, { name: 'extra', configMap: { name: 'extra' } }],
    volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'certs', mountPath: '/certs' }, { name: 'extra', mountPath: '/extra' }],
  })],
  ['a hostPath volume', agent('p').podTemplate({ volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }], volumeMounts: [{ name: 'logs', mountPath: '/var/log', readOnly: true }] })],
  ['root: runAsNonRoot false and runAsUser 0', withPod({ runAsNonRoot: false, runAsUser: 0 })],
  ['runAsUser 0 on the container', withContainer({ runAsUser: 0 })],
  ['a non-root user 1000', withPod({ runAsUser: 1000 })],
  ['runAsNonRoot removed', withPod({ runAsNonRoot: null })],
  ['the seccomp profile removed', withPod({ seccompProfile: null })],
  ['seccomp Unconfined on the pod', withPod({ seccompProfile: { type: 'Unconfined' } })],
  ['seccomp Unconfined on the container', withContainer({ seccompProfile: { type: 'Unconfined' } })],
  ['a Localhost seccomp profile', withPod({ seccompProfile: { type: 'Localhost', localhostProfile: 'agent.json' } })],
  ['an added NET_ADMIN', withContainer({ capabilities: { add: ['NET_ADMIN'] } })],
  ['an added SYS_ADMIN and NET_RAW', withContainer({ capabilities: { add: ['SYS_ADMIN', 'NET_RAW'] } })],
  ['an added CHOWN', withContainer({ capabilities: { add: ['CHOWN'] } })],
  ['an added NET_BIND_SERVICE', withContainer({ capabilities: { add: ['NET_BIND_SERVICE'] } })],
  ['drop ALL removed', withContainer({ capabilities: null })],
  ['allowPrivilegeEscalation true', withContainer({ allowPrivilegeEscalation: true })],
  ['a privileged container', withContainer({ privileged: true, allowPrivilegeEscalation: null })],
  ['an unsafe sysctl', withPod({ sysctls: [{ name: 'kernel.msgmax', value: '65536' }] })],
  ['a safe sysctl', withPod({ sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] })],
  ['SELinux type spc_t', withContainer({ seLinuxOptions: { type: 'spc_t' } })],
  ['an SELinux user', withPod({ seLinuxOptions: { user: 'system_u' } })],
  ['SELinux type container_t with a level', withPod({ seLinuxOptions: { type: 'container_t', level: 's0:c1,c2' } })],
  ['AppArmor Unconfined on the container', withContainer({ appArmorProfile: { type: 'Unconfined' } })],
  ['AppArmor RuntimeDefault on the pod', withPod({ appArmorProfile: { type: 'RuntimeDefault' } })],
  ['an unconfined AppArmor annotation', agent('p').podTemplate({ annotations: { 'container.apparmor.security.beta.kubernetes.io/agent': 'unconfined' } })],
  ['a localhost AppArmor annotation', agent('p').podTemplate({ annotations: { 'container.apparmor.security.beta.kubernetes.io/agent': 'localhost/agent' } })],
  // The apiserver copies an AppArmor annotation into the container's field before admission (the
  // check then sees both); a seccomp annotation it does not copy, and the check ignores it since 1.19.
  ['an Unconfined seccomp annotation with the field removed', agent('p').podTemplate({ annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' }, securityContext: { pod: { seccompProfile: null } } })],
  ['a runtime/default seccomp annotation', agent('p').podTemplate({ annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } })],
];

/** The pod the ReplicaSet would create from the template the operator applies. */
function podOf(a: AgentBuilder, name: string): V1Pod {
  const d = desiredObjects(a.build(), { referenceDigests: {}, configLayers: [] });
  assert.ok(d.ok, `the operator cannot build ${name}: ${d.ok ? '' : d.message}`);
  const t = d.workload.spec!.template;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...t.metadata, name }, spec: t.spec! };
}

const upstreamReasons = [...new Set(checks.map((c) => c.reason))];
/**
 * The upstream reasons the admission's refusal names: `violates PodSecurity "baseline:latest": privileged (...), hostPort (...)`.
 * Upstream pluralizes one of them with several values ("forbidden AppArmor profiles").
 */
function reasonsIn(message: string): string[] {
  const list = message.slice(message.indexOf(':latest":') + ':latest":'.length);
  return upstreamReasons.filter((r) => new RegExp(`(^ |, )${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}s? \\(`).test(list)).sort();
}

function apiMessage(err: unknown): { code: number | undefined; message: string } {
  const e = err as { code?: number; body?: unknown };
  try {
    return { code: e.code, message: (JSON.parse(String(e.body)) as { message: string }).message };
  } catch {
    return { code: e.code, message: String(e.body ?? err) };
  }
}

describe('the operator\'s Pod Security verdict is the apiserver\'s Pod Security admission verdict', () => {
  const namespaces = new Map<PodSecurityLevel, string>();
  before(async () => {
    for (const level of levels) {
      const ns = await testNamespace(cluster(), `psa-${level}`);
      const labelled = await cluster().kubectl(['label', 'namespace', ns, `pod-security.kubernetes.io/enforce=${level}`]);
      assert.equal(labelled.code, 0, labelled.stderr);
      namespaces.set(level, ns);
    }
  });

  for (const [i, [what, a]] of cases.entries()) {
    for (const level of levels) {
      it(`${what}: same verdict at ${level}`, async (t) => {
        const ns = namespaces.get(level)!;
        const pod = podOf(a, `case-${i}`);
        const ours = checkPodSecurity(level, pod);
        // What the operator decides from (the PSS part of its pod policy; ServiceAccounts are not in play here).
        assert.equal(podPolicyProblems({ level, allowedServiceAccounts: [] }, ns, pod).length, ours.length);
        const theirs = await cluster().core.createNamespacedPod({ namespace: ns, body: pod, dryRun: 'All' })
          .then(() => undefined, (e: unknown) => apiMessage(e));
        if (theirs && theirs.code !== 403) assert.fail(`the apiserver refused ${what} for another reason than Pod Security (${theirs.code}): ${theirs.message}`);
        t.diagnostic(`${what} @ ${level}: operator ${ours.length ? `refuses (${[...new Set(ours.map((v) => v.check))].join(', ')})` : 'allows'}, apiserver ${theirs ? 'refuses' : 'allows'}`);
        assert.equal(ours.length === 0, theirs === undefined, `operator: ${JSON.stringify(ours)}; apiserver: ${theirs?.message ?? 'admitted'}`);
        if (theirs) {
          assert.match(theirs.message, new RegExp(`violates PodSecurity "${level}:latest"`));
          assert.deepEqual([...new Set(ours.map((v) => v.reason))].sort(), reasonsIn(theirs.message), theirs.message);
        }
      });
    }
  }

  it('covers both verdicts at baseline and at restricted', () => {
    for (const level of ['baseline', 'restricted'] as const) {
      const refused = cases.filter(([, a]) => checkPodSecurity(level, podOf(a, 'x')).length > 0).length;
      assert.ok(refused > 0 && refused < cases.length, `${level}: ${refused}/${cases.length} refused`);
    }
  });
});

describe('the operator refuses an Agent whose pod breaks --pod-security-level', () => {
  let ns: string;
  before(async () => {
    await installCRD(cluster());
    ns = await testNamespace(cluster(), 'pod-policy');
    await startOperator(cluster(), { namespaces: [ns], env: { POD_SECURITY_LEVEL: 'baseline' } });
  });

  it('a new Agent adding SYS_ADMIN gets PodSecurityViolation and an event naming the field and the fix, and no Deployment', async () => {
    await apply(cluster(), ns, { yaml: JSON.stringify({
      apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: 'sysadmin' },
      spec: { image: 'registry.example/agent:1.0', podTemplate: { securityContext: { container: { capabilities: { add: ['SYS_ADMIN'] } } } } },
    }) });
    const a = await waitForCondition(cluster(), ns, 'sysadmin', 'Ready', 'False', { reason: 'PodSecurityViolation' });
    const field = /spec\.podTemplate\.securityContext\.container\.capabilities\.add is SYS_ADMIN, which the Pod Security Standards forbid at level baseline \(check capabilities_baseline\): allowed is AUDIT_WRITE/;
    assert.match(condition(a, 'Ready')?.message ?? '', field);
    assert.equal(condition(a, 'Stalled')?.reason, 'PodSecurityViolation');
    const events = (await agentEvents(cluster(), ns, 'sysadmin')).filter((e) => e.reason === 'PodSecurityViolation');
    assert.ok(events.length > 0, 'no PodSecurityViolation event');
    assert.equal(events[0]?.type, 'Warning');
    assert.match(events[0]?.message ?? '', field);
    const missing = await cluster().apps.readNamespacedDeployment({ name: 'sysadmin', namespace: ns }).then(() => false, (e: { code?: number }) => e.code === 404);
    assert.ok(missing, 'the operator created a Deployment for a refused pod');
  });

  it('a running Agent changed to mount a hostPath keeps its Deployment as it runs, and runs the change once it is within policy', async () => {
    await apply(cluster(), ns, { yaml: JSON.stringify({
      apiVersion: 'agent-operator.dev/v1alpha1', kind: 'Agent', metadata: { name: 'steady' }, spec: { image: 'registry.example/agent:1.0' },
    }) });
    await waitReady(cluster(), ns, 'steady');
    const before = await cluster().apps.readNamespacedDeployment({ name: 'steady', namespace: ns });

    await patchAgentSpec(cluster(), ns, 'steady', { podTemplate: {
      volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }], volumeMounts: [{ name: 'logs', mountPath: '/var/log' }],
    } });
    const held = await waitForCondition(cluster(), ns, 'steady', 'Ready', 'False', { reason: 'PodSecurityViolation' });
    assert.match(condition(held, 'Ready')?.message ?? '', /spec\.podTemplate\.volumes\[logs\]\.hostPath is \/var\/log, .*\(check hostPathVolumes\).*the rollout is held and what runs keeps running/);
    const after = await cluster().apps.readNamespacedDeployment({ name: 'steady', namespace: ns });
    assert.equal(after.metadata?.generation, before.metadata?.generation, 'the Deployment was changed');
    assert.equal(after.spec?.template.spec?.volumes, undefined);

    await patchAgentSpec(cluster(), ns, 'steady', { podTemplate: {
      volumes: [{ name: 'logs', emptyDir: {} }], volumeMounts: [{ name: 'logs', mountPath: '/var/log' }],
    } });
    await waitReady(cluster(), ns, 'steady');
    const fixed = await cluster().apps.readNamespacedDeployment({ name: 'steady', namespace: ns });
    assert.equal(fixed.spec?.template.spec?.volumes?.[0]?.emptyDir !== undefined, true);
    assert.equal((await getAgent(cluster(), ns, 'steady')).status?.conditions?.some((c) => c.reason === 'PodSecurityViolation'), false);
  });
});

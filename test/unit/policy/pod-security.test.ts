import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { checkPodSecurity, checks, checksAt, type PodSecurityLevel } from '../../../src/policy/pod-security.ts';

/** A pod every level admits; each case changes one thing. */
function pod(change: (p: Loose) => void = () => {}): V1Pod {
  const p: Loose = {
    metadata: { name: 'p' },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'agent', image: 'example.com/agent:1.0', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  };
  change(p);
  return p as V1Pod;
}
type Loose = any;
const agentSc = (p: Loose) => p.spec.containers[0].securityContext;

interface Case {
  what: string;
  pod: V1Pod;
  /** [check, field] per violation, per level; a level not listed gives none. */
  baseline?: [string, string][];
  restricted?: [string, string][];
}

const c0 = 'spec.containers[0].securityContext';
const cases: Case[] = [
  { what: 'the secure defaults', pod: pod() },
  // baseline checks
  { what: 'hostNetwork', pod: pod((p) => { p.spec.hostNetwork = true; }), baseline: [['hostNamespaces', 'spec.hostNetwork']] },
  { what: 'hostPID and hostIPC', pod: pod((p) => { p.spec.hostPID = true; p.spec.hostIPC = true; }), baseline: [['hostNamespaces', 'spec.hostPID'], ['hostNamespaces', 'spec.hostIPC']] },
  { what: 'a privileged container', pod: pod((p) => { agentSc(p).privileged = true; }), baseline: [['privileged', `${c0}.privileged`]] },
  { what: 'privileged: false', pod: pod((p) => { agentSc(p).privileged = false; }) },
  { what: 'an added SYS_ADMIN', pod: pod((p) => { agentSc(p).capabilities.add = ['SYS_ADMIN']; }), baseline: [['capabilities_baseline', `${c0}.capabilities.add`]], restricted: [['capabilities_restricted', `${c0}.capabilities.add`]] },
  { what: 'an added CHOWN (in the default set)', pod: pod((p) => { agentSc(p).capabilities.add = ['CHOWN']; }), restricted: [['capabilities_restricted', `${c0}.capabilities.add`]] },
  { what: 'an added NET_BIND_SERVICE', pod: pod((p) => { agentSc(p).capabilities.add = ['NET_BIND_SERVICE']; }) },
  { what: 'a hostPath volume', pod: pod((p) => { p.spec.volumes = [{ name: 'logs', hostPath: { path: '/var/log' } }]; }), baseline: [['hostPathVolumes', 'spec.volumes[0].hostPath']], restricted: [['restrictedVolumes', 'spec.volumes[0].hostPath']] },
  { what: 'a hostPort', pod: pod((p) => { p.spec.containers[0].ports = [{ containerPort: 80 }, { containerPort: 81, hostPort: 81 }]; }), baseline: [['hostPorts', 'spec.containers[0].ports[1].hostPort']] },
  { what: 'an Unconfined AppArmor profile on the pod', pod: pod((p) => { p.spec.securityContext.appArmorProfile = { type: 'Unconfined' }; }), baseline: [['appArmorProfile', 'spec.securityContext.appArmorProfile.type']] },
  { what: 'an unconfined AppArmor annotation', pod: pod((p) => { p.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/agent': 'unconfined' }; }), baseline: [['appArmorProfile', 'metadata.annotations[container.apparmor.security.beta.kubernetes.io/agent]']] },
  { what: 'a localhost AppArmor profile', pod: pod((p) => { p.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/agent': 'localhost/agent' }; agentSc(p).appArmorProfile = { type: 'Localhost', localhostProfile: 'agent' }; }) },
  { what: 'an SELinux type spc_t', pod: pod((p) => { agentSc(p).seLinuxOptions = { type: 'spc_t' }; }), baseline: [['seLinuxOptions', `${c0}.seLinuxOptions.type`]] },
  { what: 'an SELinux user and role', pod: pod((p) => { p.spec.securityContext.seLinuxOptions = { user: 'system_u', role: 'system_r' }; }), baseline: [['seLinuxOptions', 'spec.securityContext.seLinuxOptions.user'], ['seLinuxOptions', 'spec.securityContext.seLinuxOptions.role']] },
  { what: 'an SELinux type container_t and a level', pod: pod((p) => { agentSc(p).seLinuxOptions = { type: 'container_t', level: 's0:c1,c2' }; }) },
  { what: 'an Unmasked procMount', pod: pod((p) => { agentSc(p).procMount = 'Unmasked'; }), baseline: [['procMount', `${c0}.procMount`]], restricted: [['procMount_restricted', `${c0}.procMount`]] },
  { what: 'an Unmasked procMount in a user namespace', pod: pod((p) => { p.spec.hostUsers = false; agentSc(p).procMount = 'Unmasked'; }), restricted: [['procMount_restricted', `${c0}.procMount`]] },
  { what: 'an Unconfined seccomp profile on the container', pod: pod((p) => { agentSc(p).seccompProfile = { type: 'Unconfined' }; }), baseline: [['seccompProfile_baseline', `${c0}.seccompProfile.type`]], restricted: [['seccompProfile_restricted', `${c0}.seccompProfile.type`]] },
  { what: 'an Unconfined seccomp profile on the pod', pod: pod((p) => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }), baseline: [['seccompProfile_baseline', 'spec.securityContext.seccompProfile.type']], restricted: [['seccompProfile_restricted', 'spec.securityContext.seccompProfile.type'], ['seccompProfile_restricted', `${c0}.seccompProfile.type`]] },
  { what: 'a Localhost seccomp profile', pod: pod((p) => { p.spec.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'agent.json' }; }) },
  { what: 'an unsafe sysctl', pod: pod((p) => { p.spec.securityContext.sysctls = [{ name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'kernel.msgmax', value: '65536' }]; }), baseline: [['sysctls', 'spec.securityContext.sysctls[1].name']] },
  { what: 'a Windows hostProcess container', pod: pod((p) => { agentSc(p).windowsOptions = { hostProcess: true }; }), baseline: [['windowsHostProcess', `${c0}.windowsOptions.hostProcess`]] },
  { what: 'a probe on another host', pod: pod((p) => { p.spec.containers[0].livenessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }; }), baseline: [['hostProbesAndHostLifecycle', 'spec.containers[0].livenessProbe.httpGet.host']] },
  { what: 'a preStop hook on another host', pod: pod((p) => { p.spec.containers[0].lifecycle = { preStop: { tcpSocket: { host: 'db', port: 5432 } } }; }), baseline: [['hostProbesAndHostLifecycle', 'spec.containers[0].lifecycle.preStop.tcpSocket.host']] },
  // restricted checks
  { what: 'allowPrivilegeEscalation unset', pod: pod((p) => { delete agentSc(p).allowPrivilegeEscalation; }), restricted: [['allowPrivilegeEscalation', `${c0}.allowPrivilegeEscalation`]] },
  { what: 'allowPrivilegeEscalation true in an init container', pod: pod((p) => { p.spec.initContainers = [{ name: 'init', image: 'x', securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } } }]; }), restricted: [['allowPrivilegeEscalation', 'spec.initContainers[0].securityContext.allowPrivilegeEscalation']] },
  { what: 'no capabilities dropped', pod: pod((p) => { delete agentSc(p).capabilities; }), restricted: [['capabilities_restricted', `${c0}.capabilities.drop`]] },
  { what: 'a Windows pod without the Linux-only fields', pod: pod((p) => { p.spec.os = { name: 'windows' }; p.spec.containers[0].securityContext = {}; delete p.spec.securityContext.seccompProfile; }) },
  { what: 'runAsNonRoot false on the pod', pod: pod((p) => { p.spec.securityContext.runAsNonRoot = false; }), restricted: [['runAsNonRoot', 'spec.securityContext.runAsNonRoot'], ['runAsNonRoot', `${c0}.runAsNonRoot`]] },
  { what: 'runAsNonRoot false on the pod, true on the container', pod: pod((p) => { p.spec.securityContext.runAsNonRoot = false; agentSc(p).runAsNonRoot = true; }), restricted: [['runAsNonRoot', 'spec.securityContext.runAsNonRoot']] },
  { what: 'runAsNonRoot unset everywhere', pod: pod((p) => { delete p.spec.securityContext.runAsNonRoot; }), restricted: [['runAsNonRoot', `${c0}.runAsNonRoot`]] },
  { what: 'runAsNonRoot false in a user namespace', pod: pod((p) => { p.spec.hostUsers = false; p.spec.securityContext.runAsNonRoot = false; }) },
  { what: 'runAsUser 0 on the container', pod: pod((p) => { agentSc(p).runAsUser = 0; }), restricted: [['runAsUser', `${c0}.runAsUser`]] },
  { what: 'runAsUser 0 on the pod in a user namespace', pod: pod((p) => { p.spec.hostUsers = false; p.spec.securityContext.runAsUser = 0; }) },
  { what: 'runAsUser 1000', pod: pod((p) => { p.spec.securityContext.runAsUser = 1000; }) },
  { what: 'no seccomp profile anywhere', pod: pod((p) => { delete p.spec.securityContext.seccompProfile; }), restricted: [['seccompProfile_restricted', `${c0}.seccompProfile.type`]] },
  { what: 'a seccomp profile on the container only', pod: pod((p) => { delete p.spec.securityContext.seccompProfile; agentSc(p).seccompProfile = { type: 'RuntimeDefault' }; }) },
  { what: 'an nfs volume', pod: pod((p) => { p.spec.volumes = [{ name: 'share', nfs: { server: 'nfs', path: '/x' } }]; }), restricted: [['restrictedVolumes', 'spec.volumes[0].nfs']] },
  { what: 'the volume types restricted allows', pod: pod((p) => { p.spec.volumes = ['configMap', 'secret', 'emptyDir', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'csi', 'ephemeral', 'image'].map((t, i) => ({ name: `v${i}`, [t]: {} })); }) },
];

const levels: PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

describe('checkPodSecurity follows the Pod Security Standards check by check', () => {
  for (const c of cases) {
    for (const level of levels) {
      const expected = level === 'privileged' ? [] : level === 'baseline' ? (c.baseline ?? []) : (c.restricted ?? c.baseline ?? []);
      it(`${c.what}: ${expected.length ? `breaks ${[...new Set(expected.map(([id]) => id))].join(', ')}` : 'is allowed'} at ${level}`, () => {
        const found = checkPodSecurity(level, c.pod).map((v) => [v.check, v.field]);
        assert.deepEqual(found, expected);
      });
    }
  }

  it('names what is there and what is allowed, in the words of the upstream refusal', () => {
    const [v] = checkPodSecurity('baseline', pod((p) => { agentSc(p).capabilities.add = ['SYS_ADMIN']; }));
    assert.deepEqual(v, {
      check: 'capabilities_baseline', reason: 'non-default capabilities', field: `${c0}.capabilities.add`, value: 'SYS_ADMIN',
      allowed: 'AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT',
    });
  });
});

describe('the checks in force at each level', () => {
  it('are the upstream checks of Kubernetes 1.36, by their IDs', () => {
    assert.deepEqual(checks.map((c) => c.id).sort(), [
      'allowPrivilegeEscalation', 'appArmorProfile', 'capabilities_baseline', 'capabilities_restricted', 'hostNamespaces',
      'hostPathVolumes', 'hostPorts', 'hostProbesAndHostLifecycle', 'privileged', 'procMount', 'procMount_restricted',
      'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seLinuxOptions', 'seccompProfile_baseline', 'seccompProfile_restricted',
      'sysctls', 'windowsHostProcess',
    ]);
  });

  it('at restricted replace the baseline checks they override, as upstream does', () => {
    const restricted = checksAt('restricted').map((c) => c.id);
    for (const replaced of ['capabilities_baseline', 'hostPathVolumes', 'seccompProfile_baseline', 'procMount']) assert.ok(!restricted.includes(replaced), replaced);
    assert.equal(restricted.length, checks.length - 4);
    assert.ok(checksAt('baseline').every((c) => c.level === 'baseline'));
    assert.deepEqual(checksAt('privileged'), []);
  });
});

import type { V1Container, V1ObjectMeta, V1PodSpec, V1Probe } from '@kubernetes/client-node';

// The Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
// as a pure check over a pod: the same rules, check names and "latest" versions
// as the apiserver's Pod Security admission (k8s.io/pod-security-admission/policy,
// Kubernetes 1.36), so an Agent the operator accepts at a level is a pod the
// namespace would admit at that level, and one it refuses would be refused.
// test/e2e/pod-security.test.ts holds the two side by side.
//
// One violation per offending field (upstream reports one per check), so the
// Agent's author is told exactly which field to change.

export const podSecurityLevels = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof podSecurityLevels)[number];

export interface PodSecurityViolation {
  /** The upstream check ID, e.g. `capabilities_baseline`. */
  check: string;
  /** The upstream ForbiddenReason, as the apiserver words it in its refusal. */
  reason: string;
  /** Path of the offending field in the pod, e.g. `spec.containers[0].securityContext.runAsUser`. */
  field: string;
  /** What is there, e.g. `SYS_ADMIN`, `0`, `Unconfined`. */
  value: string;
  /** What is allowed instead. */
  allowed: string;
}

export interface PodLike { metadata?: V1ObjectMeta | undefined; spec?: V1PodSpec | undefined }

type Found = Omit<PodSecurityViolation, 'check' | 'reason'>;

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  reason: string;
  /** Baseline checks this one replaces at restricted (upstream OverrideCheckIDs). */
  overrides?: string[];
  run(pod: Pod): Found[];
}

interface Pod { meta: V1ObjectMeta; spec: V1PodSpec; containers: { path: string; c: V1Container }[] }

// Free-form user input reaches the pod spec, so values are compared as JSON, never assumed typed.
type Loose = Record<string, unknown> | undefined;
const sc = (c: V1Container): Loose => c.securityContext as Loose;
const podSc = (p: Pod): Loose => p.spec.securityContext as Loose;
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const windows = (p: Pod) => p.spec.os?.name === 'windows';
// A pod in its own user namespace is not root on the host: upstream relaxes these checks for it (1.35+).
const userNamespace = (p: Pod) => p.spec.hostUsers === false;

const capabilitiesAllowedBaseline = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const safeSysctls = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
]);
const seLinuxTypes = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const restrictedVolumeTypes = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret']);
const profileTypes = new Set(['RuntimeDefault', 'Localhost']);
const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

/** The pod and each container's securityContext, with their paths: most checks look at both. */
function contexts(p: Pod): { path: string; sc: Loose }[] {
  return [{ path: 'spec.securityContext', sc: podSc(p) }, ...p.containers.map(({ path, c }) => ({ path: `${path}.securityContext`, sc: sc(c) }))];
}

/** A profile field (seccompProfile, appArmorProfile) set to a type other than RuntimeDefault/Localhost. */
const badProfile = (field: 'seccompProfile' | 'appArmorProfile') => (p: Pod): Found[] =>
  contexts(p).flatMap(({ path, sc: s }) => {
    const profile = s?.[field] as Loose;
    return profile && !profileTypes.has(str(profile['type'] ?? '')) ? [{ field: `${path}.${field}.type`, value: str(profile['type'] ?? ''), allowed: 'RuntimeDefault or Localhost' }] : [];
  });

const procMount = (p: Pod): Found[] => p.containers.flatMap(({ path, c }) => {
  const v = sc(c)?.['procMount'];
  return v !== undefined && v !== null && v !== 'Default' ? [{ field: `${path}.securityContext.procMount`, value: str(v), allowed: 'Default or unset' }] : [];
});

const hostPaths = (p: Pod): Found[] => (p.spec.volumes ?? []).flatMap((v, i) =>
  v.hostPath ? [{ field: `spec.volumes[${i}].hostPath`, value: v.hostPath.path, allowed: 'no hostPath volume' }] : []);

function probeHosts(path: string, probe: V1Probe | { httpGet?: { host?: string }; tcpSocket?: { host?: string } } | undefined): Found[] {
  const out: Found[] = [];
  if (probe?.httpGet?.host) out.push({ field: `${path}.httpGet.host`, value: probe.httpGet.host, allowed: 'unset (the pod IP)' });
  if (probe?.tcpSocket?.host) out.push({ field: `${path}.tcpSocket.host`, value: probe.tcpSocket.host, allowed: 'unset (the pod IP)' });
  return out;
}

export const checks: readonly Check[] = [
  {
    id: 'hostNamespaces', level: 'baseline', reason: 'host namespaces',
    run: (p) => (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => p.spec[f] === true)
      .map((f) => ({ field: `spec.${f}`, value: 'true', allowed: 'false or unset' })),
  },
  {
    id: 'privileged', level: 'baseline', reason: 'privileged',
    run: (p) => p.containers.filter(({ c }) => sc(c)?.['privileged'] === true)
      .map(({ path }) => ({ field: `${path}.securityContext.privileged`, value: 'true', allowed: 'false or unset' })),
  },
  {
    id: 'capabilities_baseline', level: 'baseline', reason: 'non-default capabilities',
    run: (p) => p.containers.flatMap(({ path, c }) => addedCapabilities(c).filter((cap) => !capabilitiesAllowedBaseline.has(cap))
      .map((cap) => ({ field: `${path}.securityContext.capabilities.add`, value: cap, allowed: [...capabilitiesAllowedBaseline].join(', ') }))),
  },
  { id: 'hostPathVolumes', level: 'baseline', reason: 'hostPath volumes', run: hostPaths },
  {
    id: 'hostPorts', level: 'baseline', reason: 'hostPort',
    run: (p) => p.containers.flatMap(({ path, c }) => (c.ports ?? []).flatMap((port, i) =>
      port.hostPort ? [{ field: `${path}.ports[${i}].hostPort`, value: String(port.hostPort), allowed: '0 or unset (reach the pod through its Service)' }] : [])),
  },
  { id: 'appArmorProfile', level: 'baseline', reason: 'forbidden AppArmor profile', run: (p) => [...badProfile('appArmorProfile')(p), ...appArmorAnnotations(p)] },
  {
    id: 'seLinuxOptions', level: 'baseline', reason: 'seLinuxOptions',
    run: (p) => contexts(p).flatMap(({ path, sc: s }) => {
      const o = s?.['seLinuxOptions'] as Loose;
      if (!o) return [];
      const out: Found[] = [];
      if (!seLinuxTypes.has(str(o['type'] ?? ''))) out.push({ field: `${path}.seLinuxOptions.type`, value: str(o['type']), allowed: 'container_t, container_init_t, container_kvm_t, container_engine_t or unset' });
      for (const f of ['user', 'role'] as const) if (o[f]) out.push({ field: `${path}.seLinuxOptions.${f}`, value: str(o[f]), allowed: 'unset' });
      return out;
    }),
  },
  { id: 'procMount', level: 'baseline', reason: 'procMount', run: (p) => (userNamespace(p) ? [] : procMount(p)) },
  { id: 'seccompProfile_baseline', level: 'baseline', reason: 'seccompProfile', run: badProfile('seccompProfile') },
  {
    id: 'sysctls', level: 'baseline', reason: 'forbidden sysctls',
    run: (p) => ((podSc(p)?.['sysctls'] as { name?: unknown }[] | undefined) ?? []).flatMap((s, i) =>
      safeSysctls.has(str(s?.name)) ? [] : [{ field: `spec.securityContext.sysctls[${i}].name`, value: str(s?.name), allowed: `one of the safe sysctls: ${[...safeSysctls].join(', ')}` }]),
  },
  {
    id: 'windowsHostProcess', level: 'baseline', reason: 'hostProcess',
    run: (p) => contexts(p).filter(({ sc: s }) => (s?.['windowsOptions'] as Loose)?.['hostProcess'] === true)
      .map(({ path }) => ({ field: `${path}.windowsOptions.hostProcess`, value: 'true', allowed: 'false or unset' })),
  },
  {
    id: 'hostProbesAndHostLifecycle', level: 'baseline', reason: 'probe or lifecycle host',
    run: (p) => p.containers.flatMap(({ path, c }) => [
      ...probeHosts(`${path}.livenessProbe`, c.livenessProbe), ...probeHosts(`${path}.readinessProbe`, c.readinessProbe),
      ...probeHosts(`${path}.startupProbe`, c.startupProbe), ...probeHosts(`${path}.lifecycle.postStart`, c.lifecycle?.postStart),
      ...probeHosts(`${path}.lifecycle.preStop`, c.lifecycle?.preStop),
    ]),
  },
  {
    id: 'allowPrivilegeEscalation', level: 'restricted', reason: 'allowPrivilegeEscalation != false',
    run: (p) => (windows(p) ? [] : p.containers.filter(({ c }) => sc(c)?.['allowPrivilegeEscalation'] !== false)
      .map(({ path, c }) => ({ field: `${path}.securityContext.allowPrivilegeEscalation`, value: str(sc(c)?.['allowPrivilegeEscalation'] ?? 'unset'), allowed: 'false' }))),
  },
  {
    id: 'capabilities_restricted', level: 'restricted', reason: 'unrestricted capabilities', overrides: ['capabilities_baseline'],
    run: (p) => (windows(p) ? [] : p.containers.flatMap(({ path, c }) => {
      const drop = ((sc(c)?.['capabilities'] as Loose)?.['drop'] as unknown[] | undefined) ?? [];
      const out: Found[] = drop.includes('ALL') ? [] : [{ field: `${path}.securityContext.capabilities.drop`, value: drop.length ? drop.map(str).join(', ') : 'unset', allowed: 'a list that includes ALL' }];
      for (const cap of addedCapabilities(c)) if (cap !== 'NET_BIND_SERVICE') out.push({ field: `${path}.securityContext.capabilities.add`, value: cap, allowed: 'NET_BIND_SERVICE only' });
      return out;
    })),
  },
  {
    id: 'runAsNonRoot', level: 'restricted', reason: 'runAsNonRoot != true',
    run: (p) => {
      if (userNamespace(p)) return [];
      const pod = podSc(p)?.['runAsNonRoot'];
      const out: Found[] = pod === false ? [{ field: 'spec.securityContext.runAsNonRoot', value: 'false', allowed: 'true' }] : [];
      for (const { path, c } of p.containers) {
        const v = sc(c)?.['runAsNonRoot'];
        if (v === false || ((v === undefined || v === null) && pod !== true)) out.push({ field: `${path}.securityContext.runAsNonRoot`, value: v === false ? 'false' : 'unset (and unset on the pod)', allowed: 'true, on the pod or the container' });
      }
      return out;
    },
  },
  {
    id: 'runAsUser', level: 'restricted', reason: 'runAsUser=0',
    run: (p) => (userNamespace(p) ? [] : contexts(p).filter(({ sc: s }) => s?.['runAsUser'] === 0)
      .map(({ path }) => ({ field: `${path}.runAsUser`, value: '0', allowed: 'a non-zero user ID or unset' }))),
  },
  {
    id: 'seccompProfile_restricted', level: 'restricted', reason: 'seccompProfile', overrides: ['seccompProfile_baseline'],
    run: (p) => {
      if (windows(p)) return [];
      const explicit = badProfile('seccompProfile')(p);
      const podType = (podSc(p)?.['seccompProfile'] as Loose)?.['type'];
      const podSet = podType !== undefined && profileTypes.has(str(podType));
      const implicit = podSet ? [] : p.containers.filter(({ c }) => !sc(c)?.['seccompProfile'])
        .map(({ path }) => ({ field: `${path}.securityContext.seccompProfile.type`, value: 'unset (and unset on the pod)', allowed: 'RuntimeDefault or Localhost, on the pod or the container' }));
      return [...explicit, ...implicit];
    },
  },
  {
    id: 'restrictedVolumes', level: 'restricted', reason: 'restricted volume types', overrides: ['hostPathVolumes'],
    run: (p) => (p.spec.volumes ?? []).flatMap((v, i) => {
      const type = Object.entries(v).find(([k, x]) => k !== 'name' && x != null)?.[0] ?? 'none';
      return restrictedVolumeTypes.has(type) ? [] : [{ field: `spec.volumes[${i}].${type}`, value: type, allowed: [...restrictedVolumeTypes].join(', ') }];
    }),
  },
  { id: 'procMount_restricted', level: 'restricted', reason: 'procMount', overrides: ['procMount'], run: procMount },
];

function addedCapabilities(c: V1Container): string[] {
  return (((sc(c)?.['capabilities'] as Loose)?.['add'] as unknown[] | undefined) ?? []).map(str);
}

function appArmorAnnotations(p: Pod): Found[] {
  return Object.entries(p.meta.annotations ?? {}).filter(([k, v]) => k.startsWith(appArmorAnnotationPrefix)
    && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
    .map(([k, v]) => ({ field: `metadata.annotations[${k}]`, value: v, allowed: 'runtime/default or localhost/<profile>' }));
}

/** The checks in force at a level: baseline's, and at restricted also restricted's, each replacing the baseline checks it overrides. */
export function checksAt(level: PodSecurityLevel): readonly Check[] {
  if (level === 'privileged') return [];
  const inForce = checks.filter((c) => c.level === 'baseline' || level === 'restricted');
  const overridden = new Set(inForce.flatMap((c) => c.overrides ?? []));
  return inForce.filter((c) => !overridden.has(c.id));
}

/** Every way the pod breaks the level; empty when the Pod Security admission would admit it. */
export function checkPodSecurity(level: PodSecurityLevel, pod: PodLike): PodSecurityViolation[] {
  const spec = pod.spec ?? { containers: [] };
  const at = (kind: 'initContainers' | 'containers' | 'ephemeralContainers') =>
    ((spec[kind] ?? []) as V1Container[]).map((c, i) => ({ path: `spec.${kind}[${i}]`, c }));
  const p: Pod = { meta: pod.metadata ?? {}, spec, containers: [...at('initContainers'), ...at('containers'), ...at('ephemeralContainers')] };
  return checksAt(level).flatMap((check) => check.run(p).map((f) => ({ check: check.id, reason: check.reason, ...f })));
}

import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Mode } from '../api/mode.ts';
import type { PodSecurityViolation } from './pod-security.ts';

// A node agent (a log forwarder reading /var/log/pods, node_exporter reading
// /proc and /sys) needs hostPath volumes, which the Pod Security Standards
// forbid from baseline up. Lowering --pod-security-level to privileged for
// that would let every Agent do anything; instead the administrator grants
// exactly the node directories Agents may read (--node-agent-host-paths):
// only in DaemonSet mode, only read-only, only at or under a granted path.
// Everything else the level forbids stays forbidden.

/** A path as --node-agent-host-paths takes it: absolute, no `..`. */
export const hostPathGrantPattern = /^(?!.*(^|\/)\.\.(\/|$))\/[^,\s]*$/;

/** A finding's field that names a hostPath volume, its index captured. */
export const hostPathField = /^spec\.volumes\[(\d+)\]\.hostPath$/;

/** Whether `path` is `granted` or under it (`/var/log` grants `/var/log/pods`, not `/var/logs`). */
export function underGrant(path: string, granted: readonly string[]): boolean {
  const clean = (p: string) => p.replace(/\/+$/, '') || '/';
  const p = clean(path);
  return granted.some((g) => {
    const base = clean(g);
    return base === '/' || p === base || p.startsWith(`${base}/`);
  });
}

/**
 * The violations left once the grant is applied: a hostPath volume finding
 * (hostPathVolumes, or restrictedVolumes naming hostPath) is dropped when the
 * Agent is in DaemonSet mode, the path is granted and every mount of the
 * volume in every container is readOnly.
 */
export function withNodeAgentGrant(violations: readonly PodSecurityViolation[], template: V1PodTemplateSpec, granted: readonly string[], mode: Mode | undefined): PodSecurityViolation[] {
  if (mode !== 'DaemonSet' || granted.length === 0) return [...violations];
  const volumes = template.spec?.volumes ?? [];
  const mounts = [...(template.spec?.containers ?? []), ...(template.spec?.initContainers ?? [])].flatMap((c) => c.volumeMounts ?? []);
  const exempt = (field: string): boolean => {
    const m = hostPathField.exec(field);
    const v = m ? volumes[Number(m[1])] : undefined;
    if (!v?.hostPath) return false;
    const its = mounts.filter((x) => x.name === v.name);
    return underGrant(v.hostPath.path, granted) && its.every((x) => x.readOnly === true);
  };
  return violations.filter((v) => !exempt(v.field));
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodTemplateSpec, V1VolumeMount } from '@kubernetes/client-node';
import type { Mode } from '../../../src/api/mode.ts';
import { hostPathGrantPattern, underGrant } from '../../../src/policy/node-agent-grant.ts';
import { podPolicyProblems, type PodPolicy } from '../../../src/policy/pod-policy.ts';

const granted: PodPolicy = { level: 'baseline', allowedServiceAccounts: [], nodeAgentHostPaths: ['/var/log', '/proc', '/sys'] };
const template = (path: string, mount: Partial<V1VolumeMount> = { readOnly: true }, extra: Partial<V1PodTemplateSpec['spec']> = {}): V1PodTemplateSpec => ({
  spec: {
    containers: [{ name: 'agent', image: 'prom/node-exporter', volumeMounts: [{ name: 'host', mountPath: '/host', ...mount }] }],
    volumes: [{ name: 'host', hostPath: { path } }],
    ...extra,
  },
});

describe('the node agent grant (--node-agent-host-paths)', () => {
  const cases: { name: string; policy: PodPolicy; t: V1PodTemplateSpec; mode?: Mode; refused: RegExp | undefined }[] = [
    { name: 'lets a DaemonSet Agent mount a granted node directory read-only', policy: granted, t: template('/var/log'), mode: 'DaemonSet', refused: undefined },
    { name: 'covers a directory under a granted one', policy: granted, t: template('/var/log/pods'), mode: 'DaemonSet', refused: undefined },
    { name: 'refuses a path that only shares a prefix with a grant', policy: granted, t: template('/var/logs'), mode: 'DaemonSet', refused: /hostPath is \/var\/logs.*--node-agent-host-paths/ },
    { name: 'refuses a writable mount of a granted path', policy: granted, t: template('/var/log', { readOnly: false }), mode: 'DaemonSet', refused: /hostPath is \/var\/log/ },
    { name: 'refuses it outside DaemonSet mode: only a node\'s own agent reads its node', policy: granted, t: template('/var/log'), mode: 'Deployment', refused: /hostPath is \/var\/log/ },
    { name: 'refuses it without a grant, naming the grant as a way out', policy: { ...granted, nodeAgentHostPaths: [] }, t: template('/proc'), mode: 'DaemonSet', refused: /check hostPathVolumes.*DaemonSet mode, mounted readOnly.*--node-agent-host-paths/ },
    { name: 'grants nothing else the level forbids', policy: granted, t: template('/proc', { readOnly: true }, { hostPID: true }), mode: 'DaemonSet', refused: /spec\.hostPID/ },
    { name: 'applies at level restricted too', policy: { ...granted, level: 'restricted' }, t: { ...template('/sys'), spec: { ...template('/sys').spec!, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ ...template('/sys').spec!.containers[0]!, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } }, mode: 'DaemonSet', refused: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problems = podPolicyProblems(c.policy, 'ns', c.t, c.mode);
      if (c.refused === undefined) assert.deepEqual(problems, []);
      else assert.match(problems.join('\n'), c.refused);
    });
  }
  it('takes only absolute paths without ..', () => {
    for (const ok of ['/var/log', '/proc', '/']) assert.match(ok, hostPathGrantPattern);
    for (const bad of ['var/log', '/var/../etc', '/..', '']) assert.doesNotMatch(bad, hostPathGrantPattern);
  });
  it('matches whole path segments', () => {
    assert.equal(underGrant('/var/log/', ['/var/log']), true);
    assert.equal(underGrant('/etc', ['/']), true);
    assert.equal(underGrant('/var/logs', ['/var/log/']), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerSecurityContext, podSecurityContext } from '../../../src/desired/security.ts';

describe('security contexts', () => {
  it('are secure by default: non-root, RuntimeDefault seccomp, no escalation, all capabilities dropped', () => {
    assert.deepEqual(podSecurityContext(undefined), { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(containerSecurityContext(undefined), { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('give a state volume to the agent\'s group (fsGroup, chown only on a root mismatch), since a new volume is root-owned', () => {
    assert.deepEqual(podSecurityContext(undefined, { storage: true }), {
      runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch',
    });
    assert.deepEqual(podSecurityContext({ pod: { fsGroup: 2000, fsGroupChangePolicy: null } }, { storage: true }), {
      runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 2000,
    });
  });

  it('do not force a read-only root filesystem, since agents write files', () => {
    assert.equal('readOnlyRootFilesystem' in containerSecurityContext(undefined)!, false);
  });

  const table: [string, Parameters<typeof podSecurityContext>[0], object | undefined, object | undefined][] = [
    ['let a root image run with runAsNonRoot false', { pod: { runAsNonRoot: false, runAsUser: 0 } }, { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 0 }, undefined],
    ['add a capability and keep drop ALL', { container: { capabilities: { add: ['NET_BIND_SERVICE'] } } }, undefined, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }],
    ['remove a default with null', { container: { capabilities: null } }, undefined, { allowPrivilegeEscalation: false }],
    ['replace the seccomp profile key by key', { pod: { seccompProfile: { type: 'Localhost', localhostProfile: 'agent.json' } } }, { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'agent.json' } }, undefined],
    ['leave the context out when every default is removed', { pod: { runAsNonRoot: null, seccompProfile: null } }, undefined, undefined],
  ];
  for (const [title, overrides, pod, container] of table) {
    it(`overrides ${title}`, () => {
      if (pod !== undefined || overrides?.pod) assert.deepEqual(podSecurityContext(overrides), pod);
      if (container !== undefined || overrides?.container) assert.deepEqual(containerSecurityContext(overrides), container);
    });
  }
});

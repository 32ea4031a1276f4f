import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Toleration } from '@kubernetes/client-node';
import { resolveSpec } from '../../../src/desired/defaults.ts';
import { podTolerations } from '../../../src/desired/failover.ts';
import { agent, type AgentBuilder } from '../../fixtures/agent.ts';

const base = agent('failover').image('example.com/agent:1');
const lost = (seconds: number): V1Toleration[] => [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
];
const tolerations = (b: AgentBuilder) => podTolerations(resolveSpec(b.build().spec));

describe('podTolerations', () => {
  const cases: { name: string; agent: AgentBuilder; want: V1Toleration[] }[] = [
    { name: 'evicts a Deployment pod 30 s after its node is lost, not the 300 s Kubernetes adds', agent: base, want: lost(30) },
    { name: 'takes spec.failover.nodeLostSeconds', agent: base.spec({ failover: { nodeLostSeconds: 5 } }), want: lost(5) },
    { name: 'applies to StatefulSet pods too', agent: base.mode('StatefulSet'), want: lost(30) },
    { name: 'adds none in DaemonSet mode: a node\'s own pod has nowhere else to go', agent: base.mode('DaemonSet'), want: [] },
    {
      name: 'keeps a user toleration for the same taint and adds only the other',
      agent: base.podTemplate({ tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }] }),
      want: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }, lost(30)[0]!],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(tolerations(c.agent), c.want));
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { UsageScraper } from '../../../src/usage/scraper.ts';
import { noopLogger } from '../../../src/runtime/logger.ts';
import { FakeClock } from '../support/fake-clock.ts';

const recorded = readFileSync(new URL('./recorded/cadvisor-real-node.txt', import.meta.url), 'utf8');
const pod = (name: string, node: string, containerID?: string): V1Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName: node, containers: [{ name: 'agent', image: 'i', resources: { limits: { memory: '64Mi', cpu: '50m' } } }] },
  status: { containerStatuses: containerID ? [{ name: 'agent', image: 'i', imageID: '', ready: true, restartCount: 0, containerID }] : [] },
});

function scraper(pods: V1Pod[], fetchNode: (node: string) => Promise<string>) {
  let now = 1000;
  const asked: string[] = [];
  const s = new UsageScraper({
    fetchNode: async (node) => { asked.push(node); return fetchNode(node); },
    pods: () => pods,
    clock: { now: () => (now += 5000), setTimeout: () => ({}) as never, clearTimeout: () => {} },
    intervalMs: 5000, active: () => true, log: noopLogger,
  });
  return { s, asked };
}

describe('UsageScraper', () => {
  it('reads each node once per round and keeps the readings of the operator\'s containers with their pod\'s limits', async () => {
    const probe = pod('probe', 'real-node', 'containerd://3b3fa6cce6f0087cb43f88840a995701cfcad778232365b5ad92a0df4eb1c2f4');
    const { s, asked } = scraper([probe, pod('other', 'real-node')], async () => recorded);
    await s.round();
    await s.round();
    assert.deepEqual(asked, ['real-node', 'real-node']);
    const [u] = s.usageOf([probe]);
    assert.equal(u?.memoryLimit, '64Mi');
    assert.equal(u?.cpuLimit, '50m');
    // Both requests served the same cAdvisor collection (same timestamps): one reading, at cAdvisor's time.
    assert.deepEqual(u?.samples.map((x) => [x.at, x.workingSetBytes, x.cfsPeriods, x.cfsThrottledPeriods]), [[1796072514584, 44695552, 10, 7]]);
  });

  it('takes a new collection as a new reading', async () => {
    const probe = pod('probe', 'real-node', 'containerd://3b3fa6cce6f0087cb43f88840a995701cfcad778232365b5ad92a0df4eb1c2f4');
    let text = recorded;
    const { s } = scraper([probe], async () => text);
    await s.round();
    text = recorded.replaceAll('1796072514584', '1796072526000').replace(/(container_cpu_cfs_periods_total\{[^}]*3b3fa6cc[^}]*\}) 10/, '$1 130');
    await s.round();
    assert.deepEqual(s.usageOf([probe])[0]?.samples.map((x) => [x.at, x.cfsPeriods]), [[1796072514584, 10], [1796072526000, 130]]);
  });

  it('reads a kubelet that labels the series by pod and container: the operator\'s pods only, not their pause container', async () => {
    const mine = pod('a-1', 'node-a');
    const text = [
      'container_memory_working_set_bytes{container="agent",id="/x/1",image="i",name="n",namespace="default",pod="a-1"} 1.2e+08 1796072515447',
      'container_memory_working_set_bytes{container="POD",id="/x/2",image="",name="",namespace="default",pod="a-1"} 1e+06 1796072515447',
      'container_memory_working_set_bytes{container="agent",id="/x/3",image="i",name="n",namespace="default",pod="someone-else"} 5e+08 1796072515447',
    ].join('\n');
    const { s } = scraper([mine], async () => text);
    await s.round();
    assert.deepEqual(s.usageOf([mine, pod('someone-else', 'node-a')]).map((u) => [u.pod, u.container, u.samples.map((x) => x.workingSetBytes)]), [['a-1', 'agent', [120_000_000]]]);
  });

  it('schedules no further round once stopped, even when stopped during a round', async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const asked: string[] = [];
    const s = new UsageScraper({
      fetchNode: async (node) => { asked.push(node); await new Promise<void>((r) => (release = r)); return recorded; },
      pods: () => [pod('probe', 'real-node')],
      clock, intervalMs: 5000, active: () => true, log: noopLogger,
    });
    s.start();
    await clock.advance(0);
    assert.deepEqual(asked, ['real-node'], 'the first round is under way');
    s.stop();
    release();
    await clock.advance(60_000);
    assert.deepEqual(asked, ['real-node']);
    assert.equal(clock.pending(), 0);
  });

  it('a node that cannot be read costs only its own readings, and a pod that is gone is forgotten', async () => {
    const a = pod('probe', 'node-a', 'containerd://3b3fa6cce6f0087cb43f88840a995701cfcad778232365b5ad92a0df4eb1c2f4');
    const pods = [a, pod('b', 'node-b')];
    const { s } = scraper(pods, async (node) => { if (node === 'node-b') throw new Error('403'); return recorded; });
    await s.round();
    assert.equal(s.usageOf([a]).length, 1);
    pods.splice(0, 1);
    await s.round();
    assert.equal(s.usageOf([a]).length, 0);
  });
});

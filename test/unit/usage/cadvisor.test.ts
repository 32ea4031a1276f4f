import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { containerIdOfCgroup, parseCadvisor, type ContainerRef } from '../../../src/usage/cadvisor.ts';

const recorded = readFileSync(new URL('./recorded/cadvisor-real-node.txt', import.meta.url), 'utf8');
const agentId = '3b3fa6cce6f0087cb43f88840a995701cfcad778232365b5ad92a0df4eb1c2f4';

/** What the scraper does: labels when the kubelet gives them, else the container id of the cgroup. */
function identifyBy(ids: Record<string, ContainerRef>, wanted = new Set<string>()) {
  return (s: ContainerRef & { id: string }): ContainerRef | undefined => {
    if (s.container) return s.container !== 'POD' && wanted.has(`${s.namespace}/${s.pod}`) ? { namespace: s.namespace, pod: s.pod, container: s.container } : undefined;
    const id = containerIdOfCgroup(s.id);
    return id === undefined ? undefined : ids[id];
  };
}

describe('parseCadvisor', () => {
  it('reads the real node\'s unlabelled container cgroups by container id, skipping the pod cgroup, the pause container and the node', () => {
    const readings = parseCadvisor(recorded, identifyBy({ [agentId]: { namespace: 'default', pod: 'probe', container: 'agent' } }));
    assert.deepEqual(readings, [{ namespace: 'default', pod: 'probe', container: 'agent', cfsPeriods: 10, cfsThrottledPeriods: 7, workingSetBytes: 44695552, at: 1796072514584 }]);
  });

  it('reads labelled series (a kubelet whose cAdvisor knows the runtime) for the pods wanted only', () => {
    const text = [
      'container_memory_working_set_bytes{container="agent",id="/x/1",image="i",name="n",namespace="ns",pod="a-1"} 1.2e+08 1796072515447',
      'container_memory_working_set_bytes{container="POD",id="/x/2",image="",name="",namespace="ns",pod="a-1"} 1e+06',
      'container_memory_working_set_bytes{container="agent",id="/x/3",image="i",name="n",namespace="ns",pod="someone-else"} 5e+08',
      'container_cpu_cfs_periods_total{container="agent",id="/x/1",image="i",name="n",namespace="ns",pod="a-1"} 1200',
      // A value that is no number (the exposition writes NaN for an unknown one) leaves the last reading alone.
      'container_cpu_cfs_periods_total{container="agent",id="/x/1",image="i",name="n",namespace="ns",pod="a-1"} NaN',
      'container_cpu_cfs_throttled_periods_total{container="agent",id="/x/1",image="i",name="n",namespace="ns",pod="a-1"} 900',
      'container_cpu_usage_seconds_total{container="agent",id="/x/1",image="i",name="n",namespace="ns",pod="a-1"} 77',
      'container_memory_working_set_bytes{container="agent" broken',
    ].join('\n');
    assert.deepEqual(parseCadvisor(text, identifyBy({}, new Set(['ns/a-1']))), [
      { namespace: 'ns', pod: 'a-1', container: 'agent', workingSetBytes: 120_000_000, cfsPeriods: 1200, cfsThrottledPeriods: 900, at: 1796072515447 },
    ]);
  });

  it('finds the container id at the end of cgroupfs and systemd cgroup paths', () => {
    assert.equal(containerIdOfCgroup(`/kubepods/burstable/pod5d8e7a51-0ccb-45ca-a644-62d71f486b76/${agentId}`), agentId);
    assert.equal(containerIdOfCgroup(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5d8e7a51.slice/cri-containerd-${agentId}.scope`), agentId);
    assert.equal(containerIdOfCgroup('/kubepods/pod5d8e7a51-0ccb-45ca-a644-62d71f486b76'), undefined);
  });
});

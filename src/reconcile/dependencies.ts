import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Agent } from '../api/agent.ts';
import type { DependencyWait } from '../health/diagnose-spec.ts';

// spec.dependsOn, judged purely from cached Agents and EndpointSlices.

export interface DependencyState {
  /** Every dependency is Ready (also true when there are none). */
  ready: boolean;
  waits: DependencyWait[];
  /** The Agents of a dependsOn cycle this Agent is part of, in order; undefined when none. */
  cycle?: string[];
  none: boolean;
}

export interface DependencyView {
  agent(name: string): Agent | undefined;
  endpointSlices(service: string): V1EndpointSlice[];
}

export function evaluateDependencies(agent: Agent, view: DependencyView): DependencyState {
  const deps = agent.spec.dependsOn ?? [];
  const cycle = findCycle(agent.metadata.name, view);
  const waits: DependencyWait[] = [];
  for (const d of deps) {
    if (d.agent !== undefined) {
      const dep = view.agent(d.agent);
      if (!dep) waits.push({ kind: 'Agent', name: d.agent, state: 'Missing' });
      else {
        const ready = dep.status?.conditions?.find((c) => c.type === 'Ready');
        if (ready?.status !== 'True') {
          waits.push({ kind: 'Agent', name: d.agent, state: 'NotReady', ...(ready ? { detail: ready.reason } : {}) });
        }
      }
    } else if (d.service !== undefined) {
      const slices = view.endpointSlices(d.service);
      if (!slices.some(hasReadyEndpoint)) {
        waits.push({ kind: 'Service', name: d.service, state: slices.length ? 'NotReady' : 'Missing' });
      }
    }
  }
  return { ready: waits.length === 0 && !cycle, waits, ...(cycle ? { cycle } : {}), none: deps.length === 0 };
}

function hasReadyEndpoint(slice: V1EndpointSlice): boolean {
  // The EndpointSlice API: ready unset means ready (for backward compatibility).
  return (slice.endpoints ?? []).some((e) => e.conditions?.ready !== false);
}

/**
 * A cycle through `start` in the Agent dependency graph (depth-first over the
 * cached Agents of the namespace). Only cycles that include `start` matter to
 * it: an Agent downstream of someone else's cycle just waits.
 */
export function findCycle(start: string, view: Pick<DependencyView, 'agent'>): string[] | undefined {
  const path: string[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): string[] | undefined => {
    if (onPath.has(name)) return name === start ? [...path] : undefined;
    if (done.has(name)) return undefined;
    const agent = view.agent(name);
    if (!agent) return undefined;
    path.push(name);
    onPath.add(name);
    for (const d of agent.spec.dependsOn ?? []) {
      if (d.agent === undefined) continue;
      const found = visit(d.agent);
      if (found) return found;
    }
    path.pop();
    onPath.delete(name);
    done.add(name);
    return undefined;
  };
  return visit(start);
}

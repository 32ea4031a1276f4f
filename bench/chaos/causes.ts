// The causes that are not in a pod template: what a kubelet would do with a
// pod whose Secret is missing or whose dependency is not up yet (the container
// cannot start or is not ready: NotReady on kwok), and a transient crash of a
// healthy release. Each keeps every matching pod failing, new ones included
// (a deleted pod's replacement meets the same cause), until the cause ends;
// then the pods recover the way a kubelet lets them (hack/kwok/stages.yaml).
import type { CoreV1Api } from '@kubernetes/client-node';
import { faultInjector, type FaultInjector } from '../../test/support/faults.ts';
import type { Arm } from './fleet.ts';
import { agentName, secretName } from './fleet.ts';
import type { Fault } from './schedule.ts';

export interface Cause { end(): Promise<void> }

/** Starts the fault's out-of-template cause in one arm, or returns undefined when its release carries all of it. */
export function startCause(core: CoreV1Api, arm: Arm, f: Fault): Cause | undefined {
  let injector: FaultInjector;
  if (f.class === 'secret-missing' || f.class === 'late-dependency') {
    injector = faultInjector(core, arm.namespace, `chaos.agent-operator.dev/waits-for=f${f.id}`, 'NotReady', { intervalMs: 500 });
  } else if (f.class === 'transient-crash') {
    injector = faultInjector(core, arm.namespace, `${arm.podLabel}=${agentName(f.agent)}`, 'CrashLoopBackOff', { delay: '1s', backoff: '10s', intervalMs: 500 });
  } else return undefined;
  return {
    async end() {
      if (f.class === 'secret-missing') {
        await core.createNamespacedSecret({ namespace: arm.namespace, body: { metadata: { name: secretName(f.id) }, stringData: { token: 'chaos' } } });
      }
      await injector.stop({ clear: true });
    },
  };
}

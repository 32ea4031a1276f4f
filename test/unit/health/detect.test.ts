import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { detect as detectAllOf, type DetectInput } from '../../../src/health/detect.ts';
import { countNew, maxSeenFailures, type Failure } from '../../../src/health/failure.ts';
import { at, pod, pvc, t0 } from './pod-fixtures.ts';

const readiness = { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 0 };
const detect = (input: Partial<DetectInput>): Failure[] => detectAllOf({ pods: [], now: new Date(t0), readiness, ...input }).failures;
const detectAll = (input: Partial<DetectInput>) => detectAllOf({ pods: [], now: new Date(t0), readiness, ...input });
const initDone = (p: V1Pod): V1Pod => {
  p.spec!.initContainers = [{ name: 'init', image: 'busybox' }];
  p.status!.initContainerStatuses = [{ name: 'init', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
  return p;
};
const only = (input: Partial<DetectInput>): Failure => {
  const found = detect(input);
  assert.equal(found.length, 1, JSON.stringify(found, null, 2));
  return found[0]!;
};

describe('detect: failures', () => {
  it('a pod unschedulable for less than the grace is not a failure yet (the scheduler retries, PVCs bind)', () => {
    // the fixture's pod became unschedulable 20 s before now
    assert.deepEqual(detect({ pods: [pod('a').unschedulable().build()], unschedulableGraceSeconds: 30 }), []);
    assert.equal(only({ pods: [pod('a').unschedulable().build()], unschedulableGraceSeconds: 10 }).reason, 'Unschedulable');
  });

  const cases: { name: string; input: Partial<DetectInput>; expect: Partial<Failure> }[] = [
    {
      name: 'an OOM kill in state.terminated is an active OOMKilled with exit 137 and the limit that was hit',
      input: { pods: [pod('a').oomKilled({ shownAs: 'state', restartCount: 2 }).build()] },
      expect: { reason: 'OOMKilled', key: 'OOMKilled/uid-a/agent/r2', active: true, exitCode: 137, memoryLimit: '256Mi', containerState: 'terminated', revision: 'rev1', pod: 'a' },
    },
    {
      name: 'a crash loop whose last exit was an OOM kill is reported as OOMKilled, the cause',
      input: { pods: [pod('a').oomKilled({ shownAs: 'waiting', restartCount: 2 }).build()] },
      expect: { reason: 'OOMKilled', key: 'OOMKilled/uid-a/agent/r2', active: true, containerState: 'waiting' },
    },
    {
      name: 'an OOM kill in lastState of a running container that is not ready yet is still active',
      input: { pods: [pod('a').oomKilled({ shownAs: 'running', restartCount: 3 }).build()] },
      expect: { reason: 'OOMKilled', key: 'OOMKilled/uid-a/agent/r2', active: true, containerState: 'running' },
    },
    {
      name: 'an OOM kill in lastState of a container back and ready for a moment only is still active',
      input: { pods: [pod('a').oomKilled({ shownAs: 'running', restartCount: 3, ready: true }).build()] },
      expect: { reason: 'OOMKilled', active: true },
    },
    {
      name: 'an OOM kill in lastState of a container back and ready for the stable time is counted but no longer active',
      input: { pods: [pod('a').oomKilled({ shownAs: 'running', restartCount: 3, ready: true }).build()], restartStableSeconds: 3 },
      expect: { reason: 'OOMKilled', active: false },
    },
    {
      name: 'a container that just exited with an error, before the kubelet restarts it, is a failure already',
      input: { pods: [pod('a').exited({ restartCount: 0 }).build()] },
      expect: { reason: 'CrashLoopBackOff', key: 'CrashLoopBackOff/uid-a/agent/r0', active: true, containerState: 'terminated', exitCode: 1, message: 'exited with Error (exit code 1)' },
    },
    {
      name: 'a container running again for a moment after a crash is still failing (no Healthy between crashes)',
      input: { pods: [pod('a').restarted({ restartCount: 1, startedSecondsAgo: 3 }).build()] },
      expect: { reason: 'CrashLoopBackOff', key: 'CrashLoopBackOff/uid-a/agent/r0', active: true, containerState: 'running', message: 'restarted after Error (exit code 1)' },
    },
    {
      name: 'a container running and ready for the stable time after a crash is counted but no longer active',
      input: { pods: [pod('a').restarted({ restartCount: 1, startedSecondsAgo: 31 }).build()] },
      expect: { reason: 'CrashLoopBackOff', active: false },
    },
    {
      name: 'a container the kubelet killed for its liveness probe is a LivenessProbeFailure, even when it exited 0 on the SIGTERM',
      input: { pods: [pod('a').restarted({ exitCode: 0 }).build()], livenessKills: [{ podUid: 'uid-a', container: 'agent', at: '2026-11-27T10:59:50Z' }] },
      expect: { reason: 'LivenessProbeFailure', key: 'CrashLoopBackOff/uid-a/agent/r0', active: true, exitCode: 0, message: 'killed by the kubelet for a failing liveness probe, then Completed (exit code 0)' },
    },
    {
      name: 'a container that is not started (startup probe pending) and unready past the readiness window is a ProbeFailure',
      input: { pods: [pod('a').notReadyFor(31, { started: false, startedSecondsAgo: 31 }).build()] },
      expect: { reason: 'ProbeFailure', message: 'not ready since 2026-11-27T10:59:29Z (its startup probe has not passed); the readiness probe allows 30s (3 x 10s + 0s initial delay)' },
    },
    {
      name: 'a crash loop carries the last exit code and restart count',
      input: { pods: [pod('a').crashLooping({ restartCount: 4, exitCode: 2 }).build()] },
      expect: { reason: 'CrashLoopBackOff', key: 'CrashLoopBackOff/uid-a/agent/r4', exitCode: 2, restartCount: 4, containerState: 'waiting', since: '2026-11-27T10:59:50Z' },
    },
    {
      name: 'ErrImagePull names the image',
      input: { pods: [pod('a').imagePull({ reason: 'ErrImagePull' }).build()] },
      expect: { reason: 'ErrImagePull', key: 'ImagePull/uid-a/agent', image: 'registry.example/agent:v9' },
    },
    {
      name: 'ImagePullBackOff shares the key of ErrImagePull, so the alternation counts once',
      input: { pods: [pod('a').imagePull({ reason: 'ImagePullBackOff' }).build()] },
      expect: { reason: 'ImagePullBackOff', key: 'ImagePull/uid-a/agent' },
    },
    {
      name: 'CreateContainerConfigError keeps the kubelet message',
      input: { pods: [pod('a').configError("couldn't find key token in Secret default/agent-creds").build()] },
      expect: { reason: 'CreateContainerConfigError', key: 'CreateContainerConfigError/uid-a/agent', message: "couldn't find key token in Secret default/agent-creds" },
    },
    {
      name: 'RunContainerError is a configuration failure too, with the kubelet reason kept',
      input: { pods: [pod('a').configError('exec: "agentd": executable file not found in $PATH', 'RunContainerError').build()] },
      expect: { reason: 'CreateContainerConfigError', message: 'RunContainerError: exec: "agentd": executable file not found in $PATH' },
    },
    {
      name: 'a container unready for longer than period x threshold is a ProbeFailure',
      input: { pods: [pod('a').notReadyFor(31).build()] },
      expect: { reason: 'ProbeFailure', key: 'ProbeFailure/uid-a/agent/r0/2026-11-27T10:59:29Z', since: '2026-11-27T10:59:29Z', containerState: 'running' },
    },
    {
      name: 'an unschedulable pod carries the scheduler message',
      input: { pods: [pod('a').unschedulable().build()] },
      expect: { reason: 'Unschedulable', key: 'Unschedulable/uid-a', message: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.' },
    },
    {
      name: 'a PVC pending past the grace is PVCPending',
      input: { pvc: pvc({ createdSecondsAgo: 61, storageClassName: 'fast' }) },
      expect: { reason: 'PVCPending', key: 'PVCPending/uid-pvc', message: 'PersistentVolumeClaim agent-data is Pending (storage class fast, size 1Gi)' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = only(c.input);
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(f[k as keyof Failure], v, k);
    });
  }

  const quiet: { name: string; input: Partial<DetectInput> }[] = [
    { name: 'a healthy pod', input: { pods: [pod('a').build()] } },
    { name: 'a finished init container', input: { pods: [initDone(pod('a').build())] } },
    { name: 'a container that stopped in a pod being deleted', input: { pods: [pod('a').exited({ exitCode: 143 }).terminating().build()] } },
    { name: 'a container unready for exactly what the probe allows', input: { pods: [pod('a').notReadyFor(30).build()] } },
    { name: 'an unready container when there is no readiness probe', input: { pods: [pod('a').notReadyFor(600).build()], readiness: undefined } },
    { name: 'an unready container within the startup window the user gave', input: { pods: [pod('a').notReadyFor(100, { started: false, startedSecondsAgo: 100 }).build()], startup: { periodSeconds: 5, failureThreshold: 30, initialDelaySeconds: 0 } } },
    { name: 'an unready pod that is terminating (rollouts do that)', input: { pods: [pod('a').notReadyFor(600).terminating().build()] } },
    { name: 'an evicted pod', input: { pods: [pod('a').crashLooping().phase('Failed').build()] } },
    { name: 'a PVC within its grace', input: { pvc: pvc({ createdSecondsAgo: 30 }) } },
    { name: 'a bound PVC', input: { pvc: pvc({ phase: 'Bound' }) } },
  ];
  for (const c of quiet) it(`finds nothing wrong with ${c.name}`, () => assert.deepEqual(detect(c.input), []));

  it('gives a never-ready container the startup window on top of the readiness window', () => {
    const startup = { periodSeconds: 5, failureThreshold: 30, initialDelaySeconds: 0 };
    const fresh = pod('a').notReadyFor(3600, { startedSecondsAgo: 100 }).build();
    assert.deepEqual(detect({ pods: [fresh], startup }), [], '100 s < 30 s + 150 s');
    assert.equal(only({ pods: [pod('a').notReadyFor(3600, { startedSecondsAgo: 181 }).build()], startup }).reason, 'ProbeFailure');
    const wasReady = pod('a').notReadyFor(31, { startedSecondsAgo: 3000 }).build();
    assert.equal(only({ pods: [wasReady], startup }).reason, 'ProbeFailure', 'a container that was ready gets the readiness window only');
  });

  it('keys a crash the same from its exit through the back-off to the restart, so a crash loop counts each death once', () => {
    const id = 'containerd://9a8b7c6d5e4f30211223344556677';
    const keys = [
      only({ pods: [pod('a').exited({ restartCount: 0, containerID: id }).build()] }).key,
      only({ pods: [pod('a').crashLooping({ restartCount: 0, containerID: id }).build()] }).key,
      only({ pods: [pod('a').restarted({ restartCount: 1, containerID: id }).build()] }).key,
      only({ pods: [pod('a').restarted({ restartCount: 1, containerID: id }).build()], livenessKills: [{ podUid: 'uid-a', container: 'agent', at: '2026-11-27T10:59:49Z' }] }).key,
    ];
    assert.deepEqual(new Set(keys).size, 1, keys.join(' '));
  });

  it('does not blame the liveness probe for a death whose run the kill was not in', () => {
    const kills = [{ podUid: 'uid-a', container: 'agent', at: '2026-11-27T10:59:30Z' }, { podUid: 'uid-b', container: 'agent', at: '2026-11-27T10:59:50Z' }];
    assert.equal(only({ pods: [pod('a').restarted().build()], livenessKills: kills }).reason, 'CrashLoopBackOff');
  });

  it('says when to look again: the moment a probe window closes or a restarted container has run long enough', () => {
    const unready = detect({ pods: [pod('a').notReadyFor(20).build()] });
    assert.deepEqual(unready, []);
    assert.equal(detectAll({ pods: [pod('a').notReadyFor(20).build()] }).nextCheckAt, t0 + 10_000 + 1, 'the 30 s window closes 10 s from now');
    assert.equal(detectAll({ pods: [pod('a').restarted({ startedSecondsAgo: 3 }).build()] }).nextCheckAt, t0 + 27_000, 'stable 30 s after the restart');
    assert.equal(detectAll({ pods: [pod('a').build()] }).nextCheckAt, undefined, 'nothing pending: no extra reconcile');
  });

  it('gives a never-ready container the earliest pass of the default startup probe on top (readiness is not probed before it)', () => {
    const fast = { periodSeconds: 2, failureThreshold: 2, initialDelaySeconds: 0 };
    const starting = (s: number) => pod('a').notReadyFor(s, { started: false, startedSecondsAgo: s }).build();
    assert.deepEqual(detect({ pods: [starting(6)], readiness: fast, startupFirstPassSeconds: 5 }), [], 'within 4 s + one 5 s startup period');
    assert.equal(detect({ pods: [starting(10)], readiness: fast, startupFirstPassSeconds: 5 })[0]?.reason, 'ProbeFailure');
  });

  it('adds the initial delay to what the readiness probe allows', () => {
    assert.deepEqual(detect({ pods: [pod('a').notReadyFor(3600, { startedSecondsAgo: 40 }).build()], readiness: { ...readiness, initialDelaySeconds: 15 } }), []);
  });

  it('keys an OOM kill by container ID when the kubelet gives one, the same in state and in lastState', () => {
    const id = 'containerd://3f2a9b1c0d4e5f60718293a4b5c6d7e8f9';
    const inState = only({ pods: [pod('a').oomKilled({ shownAs: 'state', restartCount: 2, containerID: id }).build()] });
    const inLast = only({ pods: [pod('a').oomKilled({ shownAs: 'running', restartCount: 3, containerID: id }).build()] });
    assert.equal(inState.key, 'OOMKilled/uid-a/agent/3f2a9b1c0d4e');
    assert.equal(inLast.key, inState.key);
  });

  it('keys an OOM kill the same whether it is read just after the kill, in the back-off, or after the restart', () => {
    const keys = [
      only({ pods: [pod('a').oomKilled({ shownAs: 'state', restartCount: 1 }).build()] }).key,
      only({ pods: [pod('a').oomKilled({ shownAs: 'waiting', restartCount: 1 }).build()] }).key,
      only({ pods: [pod('a').oomKilled({ shownAs: 'running', restartCount: 2 }).build()] }).key,
    ];
    assert.deepEqual(new Set(keys).size, 1, keys.join(' '));
  });

  it('reports every failing pod, in pod name order, and leaves healthy ones out', () => {
    const found = detect({ pods: [pod('c').crashLooping().build(), pod('b').build(), pod('a').oomKilled().build()] });
    assert.deepEqual(found.map((f) => `${f.pod}:${f.reason}`), ['a:OOMKilled', 'c:CrashLoopBackOff']);
  });

  it('never copies a termination message (the program may have printed a secret)', () => {
    const p = pod('a').crashLooping().build();
    p.status!.containerStatuses![0]!.lastState!.terminated!.message = 'token=hunter2';
    assert.doesNotMatch(JSON.stringify(detect({ pods: [p] })), /hunter2/);
  });

  it('says when the run that ended in a crash or an OOM kill started, so the policy knows how long it was up', () => {
    const crashed = pod('a').crashLooping().build();
    crashed.status!.containerStatuses![0]!.lastState!.terminated!.startedAt = at(-12);
    assert.deepEqual([only({ pods: [crashed] }).ranSince, only({ pods: [crashed] }).since], ['2026-11-27T10:59:48Z', '2026-11-27T10:59:50Z']);
    const killed = pod('a').oomKilled({ shownAs: 'waiting' }).build();
    killed.status!.containerStatuses![0]!.lastState!.terminated!.startedAt = at(-7);
    assert.equal(only({ pods: [killed] }).ranSince, '2026-11-27T10:59:53Z');
    assert.equal(only({ pods: [pod('a').crashLooping().build()] }).ranSince, undefined, 'not given: not made up');
  });

  it('reads statuses the kubelet leaves half-written as no failure, never as a wrong one', () => {
    // A death in lastState while the restart count still says 0: no instance to name, so nothing is counted.
    assert.deepEqual(detect({ pods: [pod('a').restarted({ restartCount: 0, ready: false }).build()] }), []);
    // Back and ready after a death, with no start time: ready is all there is to judge by, so the death is past.
    const noStart = pod('a').restarted({ restartCount: 1, ready: true }).build();
    delete noStart.status!.containerStatuses![0]!.state!.running!.startedAt;
    assert.equal(only({ pods: [noStart] }).active, false);
    // Not ready for an hour, but the pod has no Ready condition yet: no window to measure, so no ProbeFailure.
    const noReadyCondition = pod('a').notReadyFor(3600).build();
    noReadyCondition.status!.conditions = noReadyCondition.status!.conditions!.filter((c) => c.type !== 'Ready');
    assert.deepEqual(detect({ pods: [noReadyCondition] }), []);
    assert.equal(only({ pods: [pod('a').notReadyFor(3600).build()] }).reason, 'ProbeFailure', 'with the condition, the same pod fails its probe');
  });

  it('reads times given as strings, as they arrive from a watch', () => {
    const p = JSON.parse(JSON.stringify(pod('a').notReadyFor(31).build()));
    assert.equal(only({ pods: [p] }).since, '2026-11-27T10:59:29Z');
    assert.equal(at(0).getTime(), t0);
  });
});

describe('countNew', () => {
  const f = (key: string): Failure => ({ reason: 'CrashLoopBackOff', key, active: true, message: '' });
  /** A crash loop of container agent in pod `pod`, at its `restarts`th restart, as detect reports it. */
  const crash = (pod: string, restarts: number): Failure => ({
    reason: 'CrashLoopBackOff', key: `CrashLoopBackOff/uid-${pod}/agent/r${restarts}`, active: true, pod, podUid: `uid-${pod}`,
    container: 'agent', containerState: 'waiting', restartCount: restarts, instance: restarts, message: '',
  });
  const probe = (pod: string, restarts: number, since: string): Failure => ({
    reason: 'ProbeFailure', key: `ProbeFailure/uid-${pod}/agent/r${restarts}/${since}`, active: true, pod, podUid: `uid-${pod}`,
    container: 'agent', containerState: 'running', restartCount: restarts, since, message: '',
  });

  it('counts a failure once however often the same status is read', () => {
    const first = countNew([f('a'), f('b')], undefined);
    assert.deepEqual(first.fresh.map((x) => x.key), ['a', 'b']);
    const again = countNew([f('a'), f('b')], first.seen);
    assert.deepEqual(again.fresh, []);
    assert.deepEqual(again.seen, first.seen, 'a re-read changes nothing, so nothing is written');
  });

  it('counts a key listed twice in one read once', () => {
    assert.equal(countNew([f('a'), f('a')], []).fresh.length, 1);
  });

  it('counts each of 70 failing replicas once, and a re-read returns the identical record', () => {
    const failures = Array.from({ length: 70 }, (_, i) => probe(`p${i}`, 0, '2026-11-27T10:00:00Z'));
    const first = countNew(failures, undefined);
    assert.equal(first.fresh.length, 70);
    let seen = first.seen;
    for (let read = 0; read < 5; read++) {
      const again = countNew(failures, JSON.parse(JSON.stringify(seen)) as string[]);
      assert.deepEqual(again.fresh.map((x) => x.pod), [], `read ${read + 2} counted again`);
      assert.deepEqual(again.seen, seen, 'nothing to write');
      seen = again.seen;
    }
  });

  it('keeps one entry per container however many times it crashes: the highest restart counted', () => {
    let seen: string[] | undefined;
    let counted = 0;
    for (let r = 1; r <= 200; r++) {
      const next = countNew([crash('a', r)], seen);
      counted += next.fresh.length;
      seen = next.seen;
    }
    assert.equal(counted, 200, 'every new restart is a new failure');
    assert.deepEqual(seen, ['uid-a/agent@200:CrashLoopBackOff']);
    assert.deepEqual(countNew([crash('a', 199)], seen).fresh, [], 'an older instance read late is not new');
  });

  it('counts a different failure class at the same restart as new', () => {
    const { seen } = countNew([probe('a', 2, '2026-11-27T10:00:00Z')], undefined);
    const next = countNew([crash('a', 2)], seen);
    assert.equal(next.fresh.length, 1);
    assert.deepEqual(next.seen, ['uid-a/agent@2:CrashLoopBackOff,ProbeFailure']);
  });

  it(`keeps every visible container and at most ${maxSeenFailures} gone ones, dropping the oldest gone first`, () => {
    let seen: string[] | undefined;
    for (let i = 0; i < 100; i++) seen = countNew([crash(`gone${i}`, 1)], seen).seen;
    const visible = Array.from({ length: 70 }, (_, i) => crash(`now${i}`, 1));
    const next = countNew(visible, seen);
    assert.equal(next.seen.length, 70 + maxSeenFailures);
    assert.ok(!next.seen.some((e) => e.startsWith('uid-gone35/')), 'the oldest gone container goes');
    assert.ok(next.seen.some((e) => e.startsWith('uid-gone36/')));
    assert.deepEqual(countNew(visible, next.seen).seen, next.seen);
  });

  it('reads the per-failure keys an older operator wrote, so an upgrade counts nothing twice', () => {
    const legacy = ['CrashLoopBackOff/uid-a/agent/r3', 'ProbeFailure/uid-b/agent/r0/2026-11-27T10:00:00Z'];
    const next = countNew([crash('a', 3), probe('b', 0, '2026-11-27T10:00:00Z')], legacy);
    assert.deepEqual(next.fresh, []);
  });
});

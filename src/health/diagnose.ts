import { parseQuantity } from '../lib/quantity.ts';
import type { Failure } from './failure.ts';
import { fieldsUsing, type ReferenceSources } from './diagnose-spec.ts';
import { replicaFailureText } from './replica-failure.ts';
import { oneLine } from './last-words.ts';

// Failure -> the sentence a user reads in `kubectl describe agent` and in the
// event: the cause, then after a colon ONE concrete fix. Texts are built from
// names, reasons, exit codes and limits, never an env value; and a dead
// container's last words only as Failure.lastWords carries them, already
// scrubbed of Secret values and bounded (health/last-words.ts).

/** What the operator knows and did about an OOM kill, so the text can say it. */
export interface MemoryContext {
  action: 'IncreaseMemory' | 'None';
  /** The memory limit in force now (the spec's, or the override). */
  inForce: string;
  max: string;
  /** Set when this very failure made the operator raise the limit. */
  raisedTo?: string;
}

export interface DiagnoseContext {
  memory?: MemoryContext;
  /** The spec's references (env, envFrom, config, volumes), to name the field to fix. Values are never read. */
  spec?: ReferenceSources;
}

const maxQuoted = 300;

export function diagnose(f: Failure, ctx: DiagnoseContext = {}): string {
  switch (f.reason) {
    case 'OOMKilled': return oomKilled(f, ctx.memory);
    case 'CrashLoopBackOff': return crashLoop(f);
    case 'ImagePullBackOff':
    case 'ErrImagePull': return imagePull(f);
    case 'CreateContainerConfigError': return configError(f, ctx.spec);
    case 'ProbeFailure':
      return `container ${f.container} of pod ${f.pod} is ${f.message}: fix what health.readiness checks (kubectl describe pod ${f.pod} shows the probe's error)`;
    case 'LivenessProbeFailure': return livenessKilled(f);
    case 'Unschedulable': return unschedulable(f);
    case 'PVCPending': return pvcPending(f);
    case 'NodeLost': return nodeLost(f);
    case 'QuotaExceeded':
    case 'LimitRangeViolation': return replicaFailureText(f, quote);
  }
}

function who(f: Failure): string {
  return `container ${f.container} of pod ${f.pod}`;
}

/** The last words in a sentence: after the fix, so a cut (an event's 1 KiB) loses them first. */
function saying(f: Failure): string {
  return f.lastWords === undefined ? '' : `; its last words: "${oneLine(f.lastWords)}"`;
}

function oomKilled(f: Failure, m: MemoryContext | undefined): string {
  return oomText(f, m) + saying(f);
}

function oomText(f: Failure, m: MemoryContext | undefined): string {
  const hit = f.memoryLimit ?? m?.inForce;
  const head = `${who(f)} was OOMKilled (exit 137)${hit === undefined ? ' with no memory limit' : ` at limit ${hit}`}`;
  if (!m) return `${head}: raise resources.limits.memory`;
  if (m.raisedTo !== undefined) return `${head}; raised to ${m.raisedTo} (recovery.oomKilled, max ${m.max})`;
  if (m.action === 'None') return `${head}: raise resources.limits.memory, or set recovery.oomKilled.action: IncreaseMemory`;
  if (hit !== undefined && parseQuantity(hit) < parseQuantity(m.inForce)) {
    // Not "being replaced": under RollingUpdate an old pod goes only once a
    // pod at the raised limit is available, which may never happen.
    return `${head}; the limit is already raised to ${m.inForce} (recovery.oomKilled, max ${m.max}), and this pod, still at the old limit, goes once a pod at ${m.inForce} is available`;
  }
  if (parseQuantity(m.inForce) >= parseQuantity(m.max)) {
    return `${head}, which is recovery.oomKilled.maxMemory, so restarts follow recovery.restart and then onExhausted: raise maxMemory or make the agent use less memory`;
  }
  return `${head}: raise resources.limits.memory`;
}

/** Exit codes that point at one cause; anything else needs the logs. */
const exitHints: Record<number, string> = {
  0: 'it ended on its own with success, and an agent must keep running: check spec.command and spec.args (kubectl describe pod shows whether the kubelet stopped it)',
  126: 'the command is not executable: check spec.command and the image',
  127: 'the command was not found in the image: check spec.command',
  137: 'it was killed (SIGKILL), usually by a failing liveness probe: check health.liveness',
  143: 'it stopped on SIGTERM: check what sends it and health.liveness',
};

function crashLoop(f: Failure): string {
  const exit = f.exitCode === undefined ? '' : `last exit code ${f.exitCode}, `;
  const counts = `(${exit}${f.restartCount ?? 0} restarts)`;
  const head = f.containerState === 'terminated' ? `${who(f)} exited ${counts}`
    : f.containerState === 'running' ? `${who(f)} exited ${counts} and was restarted a moment ago`
    : `${who(f)} keeps exiting ${counts} and the kubelet is backing off`;
  const hint = f.exitCode === undefined ? undefined : exitHints[f.exitCode];
  const logs = `kubectl logs ${f.pod} -c ${f.container} --previous`;
  if (f.lastWords !== undefined) return `${head}: ${hint ?? `fix what it says (${logs} has the whole log)`}${saying(f)}`;
  return `${head}: ${hint ?? `read why with ${logs}`}`;
}

/**
 * The exit code says nothing here: a program that handles SIGTERM exits 0 (or
 * 143) when the kubelet kills it for liveness, and "read the logs" would send
 * the reader after a crash that never happened.
 */
function livenessKilled(f: Failure): string {
  return `${who(f)} was killed and restarted by the kubelet because its liveness probe failed (${f.restartCount ?? 0} restarts; it exited with code ${f.exitCode ?? 'unknown'} on the kill): fix what health.liveness checks, or give it more time if the agent is only slow (health.liveness timeoutSeconds, failureThreshold, or a health.startup window); kubectl describe pod ${f.pod} shows the probe's error${saying(f)}`;
}

function imagePull(f: Failure): string {
  const said = quote(f.message);
  if (said.startsWith('InvalidImageName')) return `image ${f.image} is not a valid image reference (${said}): fix spec.image`;
  return `image ${f.image} cannot be pulled (${said}): check the tag exists and the registry credentials (imagePullSecrets of podTemplate.serviceAccountName)`;
}

function configError(f: Failure, spec: ReferenceSources | undefined): string {
  const m = f.message;
  let match = /couldn't find key (\S+) in (Secret|ConfigMap) [^/\s]+\/(\S+)/.exec(m);
  if (match) {
    const [, key = '', found, name = ''] = match;
    const kind = found === 'Secret' ? 'Secret' : 'ConfigMap';
    const field = fieldsUsing(spec, kind, name, key)[0];
    return `${kind} ${name} has no key ${key}: add the key or fix ${field === undefined ? `the ${kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'} that names it` : `${field}.key`}`;
  }
  match = /(secret|configmap) "([^"]+)" not found/i.exec(m);
  if (match) {
    const kind = match[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
    const name = match[2]!;
    const field = fieldsUsing(spec, kind, name)[0];
    return `${kind} ${name} does not exist: create it or fix ${field === undefined ? 'the reference to it' : `${field}.name`}`;
  }
  match = /image has non-numeric user \(([^)]*)\)/.exec(m);
  if (match) {
    return `image ${f.image} runs as user ${match[1]}, not a numeric UID, so runAsNonRoot cannot be verified: set podTemplate.securityContext.pod.runAsUser to that user's UID`;
  }
  if (m.includes('runAsNonRoot and image will run as root')) {
    return `image ${f.image} runs as root but the pod requires runAsNonRoot: use an image with a non-root USER, or set podTemplate.securityContext (pod.runAsUser to a non-root UID)`;
  }
  if (/executable file not found|no such file or directory/.test(m)) {
    return `${who(f)} cannot start (${quote(m)}): check spec.command against the image`;
  }
  return `${who(f)} cannot be created (${quote(m)}): fix the setting the kubelet names`;
}

/** The scheduler's reason decides the fix; its preemption epilogue adds nothing for the user. */
const schedulingFixes: [RegExp, string][] = [
  [/Insufficient memory/, 'lower resources.requests.memory or add capacity'],
  [/Insufficient cpu/, 'lower resources.requests.cpu or add capacity'],
  [/Insufficient ephemeral-storage/, 'lower resources.requests.ephemeral-storage or add capacity'],
  [/untolerated taint|had taint/, 'add a matching toleration in podTemplate.tolerations or remove the taint'],
  [/node affinity\/selector|didn't match node selector/, 'fix podTemplate.nodeSelector / podTemplate.affinity or label nodes to match'],
  [/topology spread/, 'relax podTemplate.topologySpreadConstraints or add nodes'],
  [/anti-affinity|affinity rules/, 'relax podTemplate.affinity or add nodes'],
  [/PersistentVolumeClaim|volume node affinity|unbound/i, 'make sure the claim can bind on a node: check storage.storageClassName'],
];

function unschedulable(f: Failure): string {
  const said = f.message.replace(/\s*preemption:.*$/s, '').replace(/\.\s*$/, '');
  const fix = schedulingFixes.find(([re]) => re.test(said))?.[1] ?? 'relax the scheduling constraints in podTemplate or add capacity';
  return `pod ${f.pod} unschedulable: ${quote(said)}: ${fix}`;
}

function nodeLost(f: Failure): string {
  return `pod ${f.pod} is on a lost node: ${f.message}; Kubernetes evicts it once spec.failover.nodeLostSeconds has passed and a replacement starts on another node (the pod of a StatefulSet, or of a Deployment with a ReadWriteOnce volume, waits for the node, or for spec.failover.releaseStatefulPods): bring node ${f.node} back, or delete the Node object if it is gone for good`;
}

function pvcPending(f: Failure): string {
  const name = /PersistentVolumeClaim (\S+)/.exec(f.message)?.[1] ?? 'of the agent';
  if (f.message.includes(' is Lost')) {
    return `${f.message}: its volume is gone; restore it, or delete the claim to start from an empty volume`;
  }
  return `${f.message}: check that storage.storageClassName names a class that can provision it (kubectl describe pvc ${name} shows the provisioner's events)`;
}

function quote(text: string): string {
  return text.length > maxQuoted ? `${text.slice(0, maxQuoted - 1)}…` : text;
}

import type { V1Pod } from '@kubernetes/client-node';
import { configHashAnnotation, configReloadAnnotation, configToldAtAnnotation } from '../api/annotations.ts';
import type { Reason } from '../api/reasons.ts';
import { maxConfigPods, type AgentStatus, type ConfigStatus } from '../api/status.ts';
import type { ResolvedReload } from '../desired/defaults.ts';
import { findCondition, setCondition, sortConditions, type ConditionInput } from '../status/conditions.ts';

// Getting a changed config into running pods (reload InPlace and HTTP), as a
// pure policy over the pods' annotations; the pods carry the whole state, so
// an operator restart loses nothing.
//
// The pods mount one mutable ConfigMap as a directory. The kubelet rewrites
// such a file only when it syncs the pod: on its periodic sync (syncFrequency,
// 1 min by default) plus its ConfigMap cache, so up to a minute or two after
// the change. Any update of the pod's annotations makes it sync that pod at
// once (kubernetes/kubernetes#30189; the documented "trigger an immediate
// refresh by updating one of the pod's annotations"). So once the ConfigMap
// holds the new content, each pod is told: its config-hash annotation is set
// to the hash. That annotation is also how status knows which pod has been
// given which config.
//
// HTTP: the file is in the pod a moment after the sync; the kubelet reports
// no such moment, so the reload call waits `settleMs` after the pod was told
// (measured on the real node: README), then POSTs (by default) to the pod IP.
// Its outcome goes into another annotation; 3 failures for the same config
// and the pod is deleted (onFailure RestartPod): the new pod starts on the
// current file. A pod that started after the change is called once too (the
// agent reloads the file it already has): the operator cannot tell when a
// pod read its file, only what it told it.

/** Wait after telling a pod before its reload call: the kubelet's sync and atomic file swap (on the real node the whole edit -> loaded of InPlace took 0.7-1.8 s, README). */
export const settleMs = 2_000;
/** Reload calls for one config per pod before it counts as failed. */
export const maxReloadAttempts = 3;
/** Wait between reload attempts: attempt n waits n times this. */
export const reloadRetryMs = 5_000;

export interface ReloadRecord { hash: string; ok: boolean; failures: number; at: string; error?: string }

export interface PodToTell { name: string; uid: string; annotations: Record<string, string> }
export interface ReloadCall { name: string; uid: string; url: string; method: string; hash: string; failures: number }

export interface ConfigReloadInput {
  pods: readonly V1Pod[];
  /** The ConfigMap the pods mount and the hash of what it holds once this reconcile's apply is done. */
  config: { hash: string; reload: ResolvedReload; configMapName: string };
  previous: AgentStatus | undefined;
  generation: number;
  now: Date;
  /** The Agent's pod-deletion ceiling is reached (recovery/limits.ts): a failed pod is reported, not deleted. */
  deletionCeiling?: string | undefined;
  /** When the ceiling lets a deletion through again: a failed pod held by it is deleted then (nothing else raises an event at that moment). */
  deletionCeilingLiftsInMs?: number | undefined;
}

export interface ConfigReloadPlan {
  tell: PodToTell[];
  calls: ReloadCall[];
  /** A pod whose reload failed for good, to delete (onFailure RestartPod). */
  restart?: { name: string; uid: string; message: string };
  status: ConfigStatus;
  condition: ConditionInput;
  events: { type: 'Normal' | 'Warning'; reason: Reason; message: string }[];
  requeueAfterMs?: number;
}

export function planConfigReload(input: ConfigReloadInput): ConfigReloadPlan {
  const { config, now } = input;
  const http = config.reload.mode === 'HTTP' ? config.reload.http : undefined;
  const pods = input.pods
    .filter((p) => !p.metadata?.deletionTimestamp && p.spec?.nodeName && mounts(p, config.configMapName))
    .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  // the condition sums up every pod, so it is decided after the loop
  const out: Omit<ConfigReloadPlan, 'condition'> = { tell: [], calls: [], status: { hash: config.hash, reload: config.reload.mode, pods: [] }, events: [] };
  const waits: number[] = [];
  let given = 0;
  const failed: { name: string; message: string }[] = [];
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    const uid = pod.metadata!.uid ?? '';
    const told = pod.metadata?.annotations?.[configHashAnnotation];
    const entry: ConfigStatus['pods'][number] = told ? { name, hash: told } : { name };
    if (told !== config.hash) {
      out.tell.push({ name, uid, annotations: { [configHashAnnotation]: config.hash, [configToldAtAnnotation]: now.toISOString() } });
      if (http) entry.reload = 'Pending';
      out.status.pods.push(entry);
      continue;
    }
    if (!http) {
      given++;
      out.status.pods.push(entry);
      continue;
    }
    const record = readRecord(pod.metadata?.annotations?.[configReloadAnnotation]);
    const current = record?.hash === config.hash ? record : undefined;
    if (current?.ok) {
      given++;
      out.status.pods.push({ ...entry, reload: 'Succeeded' });
      continue;
    }
    const failures = current?.failures ?? 0;
    if (failures >= maxReloadAttempts) {
      const message = `the reload call (${http.method} ${http.path} on port ${http.port}) failed ${failures} times for this config: ${current?.error ?? 'no answer'}`;
      failed.push({ name, message });
      out.status.pods.push({ ...entry, reload: 'Failed', message: message.slice(0, 1024) });
      if (config.reload.onFailure === 'RestartPod' && !input.deletionCeiling && !out.restart) out.restart = { name, uid, message };
      if (config.reload.onFailure === 'RestartPod' && input.deletionCeiling && input.deletionCeilingLiftsInMs !== undefined) waits.push(input.deletionCeilingLiftsInMs);
      continue;
    }
    out.status.pods.push({ ...entry, reload: 'Pending', ...(current?.error ? { message: current.error.slice(0, 1024) } : {}) });
    if (!ready(pod) || !pod.status?.podIP) continue;
    const toldAt = Date.parse(pod.metadata?.annotations?.[configToldAtAnnotation] ?? '');
    const lastAt = current ? Date.parse(current.at) : Number.NaN;
    const due = Math.max(Number.isNaN(toldAt) ? 0 : toldAt + settleMs, Number.isNaN(lastAt) ? 0 : lastAt + failures * reloadRetryMs);
    if (due > now.getTime()) { waits.push(due - now.getTime()); continue; }
    const host = pod.status.podIP.includes(':') ? `[${pod.status.podIP}]` : pod.status.podIP;
    out.calls.push({ name, uid, url: `http://${host}:${http.port}${http.path}`, method: http.method, hash: config.hash, failures });
  }
  if (out.tell.length && http) waits.push(settleMs);
  if (out.status.pods.length > maxConfigPods) {
    out.status.podsOmitted = out.status.pods.length - maxConfigPods;
    out.status.pods = out.status.pods.slice(0, maxConfigPods);
  }
  const short = config.hash.slice(0, 10);
  const g = input.generation;
  const condition: ConditionInput = failed.length
    ? { type: 'ConfigReloaded', status: 'False', reason: 'ConfigReloadFailed', observedGeneration: g, message: `${failed.length} of ${pods.length} pods did not reload config ${short}: ${failed.slice(0, 3).map((f) => `pod ${f.name}: ${f.message}`).join('; ')}${failedAdvice(config.reload, input.deletionCeiling)}` }
    : given === pods.length
      ? { type: 'ConfigReloaded', status: 'True', reason: 'ConfigReloaded', observedGeneration: g, message: `${pods.length} of ${pods.length} pods have config ${short}${http ? ' and reloaded it' : ''}` }
      : { type: 'ConfigReloaded', status: 'False', reason: 'ConfigReloadPending', observedGeneration: g, message: `${given} of ${pods.length} pods have config ${short}${http ? ' and reloaded it' : ''}; the rest are being given it` };
  const before = findCondition(input.previous?.conditions, 'ConfigReloaded');
  if (condition.reason === 'ConfigReloadFailed' && before?.reason !== 'ConfigReloadFailed') out.events.push({ type: 'Warning', reason: 'ConfigReloadFailed', message: condition.message });
  if (out.restart) out.events.push({ type: 'Warning', reason: 'ConfigReloadFailed', message: `deleted pod ${out.restart.name}: ${out.restart.message}; it comes back with config ${short}` });
  if (condition.reason === 'ConfigReloaded' && before !== undefined && before.status !== 'True') out.events.push({ type: 'Normal', reason: 'ConfigReloaded', message: condition.message });
  if (waits.length) out.requeueAfterMs = Math.min(...waits);
  return { ...out, condition };
}

function failedAdvice(reload: ResolvedReload, ceiling: string | undefined): string {
  if (reload.onFailure !== 'RestartPod') return '; fix the agent\'s reload endpoint or delete the pod';
  if (ceiling) return `; not deleted: ${ceiling}; fix the agent's reload endpoint or delete the pod`;
  return '; such a pod is deleted so it starts on the current file';
}

/** The annotation's JSON, or undefined when absent or not ours (a hand edit is ignored, not fatal). */
export function readRecord(text: string | undefined): ReloadRecord | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<ReloadRecord>;
    if (typeof v.hash !== 'string' || typeof v.ok !== 'boolean' || typeof v.failures !== 'number' || typeof v.at !== 'string') return undefined;
    return { hash: v.hash, ok: v.ok, failures: v.failures, at: v.at, ...(typeof v.error === 'string' ? { error: v.error } : {}) };
  } catch {
    return undefined;
  }
}

/** The annotation after one reload call. */
export function recordOutcome(call: ReloadCall, outcome: { ok: boolean; error?: string }, now: Date): string {
  const record: ReloadRecord = outcome.ok
    ? { hash: call.hash, ok: true, failures: call.failures, at: now.toISOString() }
    : { hash: call.hash, ok: false, failures: call.failures + 1, at: now.toISOString(), error: (outcome.error ?? 'failed').slice(0, 512) };
  return JSON.stringify(record);
}

function mounts(pod: V1Pod, configMapName: string): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.configMap?.name === configMapName);
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The status with the reload's part laid over it: status.config and the
 * ConfigReloaded condition while a reload mode other than Restart is in
 * force, neither otherwise (a switch back to Restart leaves no stale condition);
 * 'held' when such a mode is in force but nothing was given this time.
 */
export function withConfigReload(status: AgentStatus, reload: ConfigReloadPlan | 'held' | undefined, now: Date, previous?: AgentStatus): AgentStatus {
  const { config: _, ...rest } = status;
  // Nothing was given to the pods this time (a held rollout, an unbuildable
  // spec, Unmanaged): they still run what status said, so it stays said.
  if (reload === 'held') return previous?.config ? { ...rest, config: previous.config } : rest;
  if (!reload) {
    const conditions = status.conditions?.filter((c) => c.type !== 'ConfigReloaded');
    return conditions ? { ...rest, conditions } : rest;
  }
  return { ...rest, conditions: sortConditions(setCondition(status.conditions, reload.condition, now)), config: reload.status };
}

// Count the writes a client made, from the local control plane's audit log
// (hack/cluster records every create/update/patch/delete at Metadata level:
// user, user agent, verb, object, response code; reads are not recorded).
// Only a hack/cluster control plane has this log: with any other cluster these
// functions return undefined and auditUnavailable() says why, so a test can
// skip just that assertion with a reason.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';

export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  userAgent?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

export interface WriteFilter {
  /** substring of the User-Agent header, e.g. "agent-operator/" */
  userAgent?: string;
  /** exact user name, e.g. "system:serviceaccount:agent-operator:agent-operator" */
  username?: string;
  /** only requests received at or after this time */
  since?: Date;
  /** default: create, update, patch, delete, deletecollection */
  verbs?: string[];
  /** e.g. "pods", "agents" */
  resource?: string;
  subresource?: string;
  namespace?: string;
  /** only requests that succeeded (2xx); default false: every attempt counts */
  succeededOnly?: boolean;
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

export function auditLogPath(cluster: Cluster): string | undefined {
  return cluster.clusterDir ? join(cluster.clusterDir, 'audit', 'audit.log') : undefined;
}

/** Why the audit log cannot be read, or undefined when it can. */
export function auditUnavailable(cluster: Cluster): string | undefined {
  return cluster.clusterDir
    ? undefined
    : `no audit log: the cluster comes from ${cluster.source}, not from hack/cluster (only the local control plane records writes)`;
}

/** Write requests matching the filter, oldest first; undefined when the cluster has no readable audit log. */
export async function auditWrites(cluster: Cluster, filter: WriteFilter = {}): Promise<AuditEvent[] | undefined> {
  const path = auditLogPath(cluster);
  return path ? readAuditWrites(path, filter) : undefined;
}

/** Write requests matching the filter in the audit log at path, oldest first (make chaos reads its cluster's log this way). */
export async function readAuditWrites(path: string, filter: WriteFilter = {}): Promise<AuditEvent[]> {
  const text = await readFile(path, 'utf8');
  const verbs = filter.verbs ?? WRITE_VERBS;
  const since = filter.since?.getTime();
  const out: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    let ev: AuditEvent;
    try {
      ev = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // a line being written right now
    }
    if (ev.stage !== 'ResponseComplete' && ev.stage !== 'Panic') continue;
    if (!verbs.includes(ev.verb)) continue;
    if (filter.userAgent !== undefined && !(ev.userAgent ?? '').includes(filter.userAgent)) continue;
    if (filter.username !== undefined && ev.user?.username !== filter.username) continue;
    if (since !== undefined && Date.parse(ev.requestReceivedTimestamp) < since) continue;
    if (filter.resource !== undefined && ev.objectRef?.resource !== filter.resource) continue;
    if (filter.subresource !== undefined && ev.objectRef?.subresource !== filter.subresource) continue;
    if (filter.namespace !== undefined && ev.objectRef?.namespace !== filter.namespace) continue;
    const code = ev.responseStatus?.code ?? 0;
    if (filter.succeededOnly && (code < 200 || code > 299)) continue;
    out.push(ev);
  }
  return out;
}

/** How many write requests match; undefined when the cluster has no readable audit log. */
export async function countWrites(cluster: Cluster, filter: WriteFilter = {}): Promise<number | undefined> {
  return (await auditWrites(cluster, filter))?.length;
}

/** The operator's writes in one namespace since `since`, a line each ("patch agents/status name"): what a zero-writes assertion compares with []. */
export async function operatorWrites(cluster: Cluster, namespace: string, since: Date): Promise<string[]> {
  const events = await auditWrites(cluster, { userAgent: 'agent-operator', since, namespace });
  return (events ?? []).map((e) => `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''} ${e.objectRef?.name}`);
}

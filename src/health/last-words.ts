import type { V1ContainerStateTerminated, V1Pod } from '@kubernetes/client-node';
import { isoText } from '../lib/time.ts';

// A dead container's last words: the tail of its termination message, which
// with terminationMessagePolicy FallbackToLogsOnError is the tail of its log
// (the kubelet keeps up to 80 lines / 2 KiB of it). Pure: what to show and how
// much. The Secret scrub happens before this, in src/kube/secrets.ts, on the
// whole message, so a cut here can never leave part of a value behind.

export const lastWordsMaxLines = 5;
export const lastWordsMaxBytes = 1024;

/**
 * One terminated container instance, as both state.terminated and
 * lastState.terminated name it: the kubelet moves the record from one to the
 * other, so the id must not depend on which it is read from.
 */
export function terminationKey(podUid: string, container: string, record: V1ContainerStateTerminated): string {
  const id = record.containerID?.replace(/^[a-z0-9-]+:\/\//, '');
  return `${podUid}/${container}/${id || isoText(record.finishedAt)}`;
}

/** Every termination message in the pods' container statuses, by terminationKey. */
export function terminationMessages(pods: readonly V1Pod[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pod of pods) {
    const uid = pod.metadata?.uid ?? pod.metadata?.name ?? '';
    for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      for (const record of [cs.state?.terminated, cs.lastState?.terminated]) {
        if (record?.message?.trim()) out[terminationKey(uid, cs.name, record)] = record.message;
      }
    }
  }
  return out;
}

/**
 * The last `lastWordsMaxLines` non-empty lines, at most `lastWordsMaxBytes`
 * of UTF-8: a log's end says why it ended. A cut through the first kept
 * line drops its start and marks it with "…"; a cut never splits a character.
 * Undefined when nothing but whitespace is left.
 */
export function tailOf(message: string): string | undefined {
  const lines = message.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const kept: string[] = [];
  let bytes = 0;
  for (let i = lines.length - 1; i >= 0 && kept.length < lastWordsMaxLines; i--) {
    const line = lines[i]!;
    const size = Buffer.byteLength(line, 'utf8') + (kept.length ? 1 : 0);
    if (bytes + size <= lastWordsMaxBytes) {
      kept.unshift(line);
      bytes += size;
      continue;
    }
    const room = lastWordsMaxBytes - bytes - (kept.length ? 1 : 0) - Buffer.byteLength('…', 'utf8');
    if (room > 0) kept.unshift(`…${lastBytes(line, room)}`);
    break;
  }
  return kept.length ? kept.join('\n') : undefined;
}

/** The end of `text` in at most `max` UTF-8 bytes, whole characters only. */
function lastBytes(text: string, max: number): string {
  const chars = [...text];
  let out = '';
  let bytes = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const b = Buffer.byteLength(chars[i]!, 'utf8');
    if (bytes + b > max) break;
    out = chars[i]! + out;
    bytes += b;
  }
  return out;
}

/** For a one-line sentence (a condition, an event): the lines joined by " | ". */
export function oneLine(words: string): string {
  return words.split('\n').join(' | ');
}

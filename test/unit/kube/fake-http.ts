import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient, type KubeClient } from '../../../src/kube/client.ts';
import type { KubeHttpClientOptions } from '../../../src/runtime/kube-http.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';

export interface SentRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

export type Responder = (req: SentRequest) => { status: number; body?: unknown; headers?: Record<string, string> };

/** A transport that records each request and answers from `respond`. */
export function fakeHttp(respond: Responder): { send: NonNullable<KubeHttpClientOptions['send']>; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const send: NonNullable<KubeHttpClientOptions['send']> = async (out) => {
    const req: SentRequest = {
      method: out.method,
      url: out.url,
      headers: out.headers,
      body: typeof out.body === 'string' && out.body !== '' ? JSON.parse(out.body) : undefined,
    };
    sent.push(req);
    const answer = respond(req);
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers }, text: async () => text, stream: () => null };
  };
  return { send, sent };
}

export function fakeKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://kube.test:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

/** A KubeClient on a fake transport, with its metrics. */
export function fakeClient(respond: Responder): { client: KubeClient; sent: SentRequest[]; metrics: Metrics } {
  const { send, sent } = fakeHttp(respond);
  const metrics = createMetrics({ processMetrics: false });
  const client = createKubeClient({ kubeConfig: fakeKubeConfig(), send, metrics, userAgent: 'agent-operator/test' });
  return { client, sent, metrics };
}

export const notFound = (what = 'x'): { status: number; body: unknown } => ({
  status: 404,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${what} not found` },
});

export const conflict = (message = 'the object has been modified'): { status: number; body: unknown } => ({
  status: 409,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message },
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RequestOptions } from 'node:https';
import { stringify } from 'yaml';
import { loadKubeConfig } from '../../../src/kube/client.ts';
import { inClusterAccess, OwnKubeConfig, resolveKubeconfig, type ClusterEntry, type UserEntry } from '../../../src/kube/kube-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'kube-config-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(cluster: ClusterEntry, user: UserEntry, extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'c', cluster }], users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x', ...extra,
  });
}

let n = 0;
function file(text: string, name = `kubeconfig-${n++}`): string {
  const sub = join(dir, `d${n++}`);
  mkdirSync(sub);
  writeFileSync(join(sub, name), text);
  return join(sub, name);
}

/** What the transport puts on a request from these credentials. */
async function sent(kc: { applyToHTTPSOptions(opts: RequestOptions): Promise<void> }): Promise<{ headers: Record<string, string>; opts: RequestOptions }> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return { headers: (opts.headers ?? {}) as Record<string, string>, opts };
}

describe('the operator\'s kubeconfig loader', () => {
  const server = 'https://127.0.0.1:6443';
  it('serves, without client-node, each kind of credential the operator is given', () => {
    const table: [string, ClusterEntry, UserEntry, { auth?: string; ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean; servername?: string } | undefined][] = [
      ['a bearer token and CA data', { server, 'certificate-authority-data': b64('CA') }, { token: 'tok' }, { auth: 'Bearer tok', ca: 'CA' }],
      ['client certificate and key data', { server, 'certificate-authority-data': b64('CA') }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }, { ca: 'CA', cert: 'CERT', key: 'KEY' }],
      ['insecure-skip-tls-verify and no CA', { server, 'insecure-skip-tls-verify': true }, { token: 't' }, { auth: 'Bearer t', rejectUnauthorized: false }],
      ['tls-server-name', { server, 'certificate-authority-data': b64('CA'), 'tls-server-name': 'kubernetes' }, {}, { ca: 'CA', servername: 'kubernetes' }],
      ['a token and nothing for TLS (the system\'s CAs)', { server }, { token: 't' }, { auth: 'Bearer t' }],
    ];
    for (const [title, cluster, user, want] of table) {
      const access = resolveKubeconfig([{ path: '/k/config', text: kubeconfig(cluster, user) }]);
      assert.equal(access.kind, 'own', title);
      const kc = new OwnKubeConfig(access as never);
      const tls = kc.tlsOptions();
      const got = {
        ...(kc.authorization() ? { auth: kc.authorization() } : {}),
        ...(tls?.ca ? { ca: tls.ca.toString() } : {}), ...(tls?.cert ? { cert: tls.cert.toString() } : {}), ...(tls?.key ? { key: tls.key.toString() } : {}),
        ...(tls?.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}), ...(tls?.servername ? { servername: tls.servername } : {}),
      };
      assert.deepEqual(got, want, title);
      assert.equal(kc.getCurrentCluster().server, server, title);
    }
  });

  it('reads CA, certificate, key and token files relative to the kubeconfig that names them', () => {
    const access = resolveKubeconfig([{ path: '/k/config', text: kubeconfig({ server, 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'sub/tls.crt', 'client-key': '/abs/tls.key', tokenFile: 'token' }) }]);
    assert.equal(access.kind, 'own');
    if (access.kind !== 'own') return;
    assert.equal(access.cluster['certificate-authority'], '/k/ca.crt');
    assert.equal(access.user['client-certificate'], '/k/sub/tls.crt');
    assert.equal(access.user['client-key'], '/abs/tls.key');
    assert.equal(access.user.tokenFile, '/k/token');
  });

  it('loads a kubeconfig of files, and picks up a rotated token file after a minute, keeping the last one while the file is away', async () => {
    const path = file(kubeconfig({ server, 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'tls.crt', 'client-key': 'tls.key', 'token-file': 'token' }));
    const base = join(path, '..');
    for (const [f, text] of [['ca.crt', 'CA'], ['tls.crt', 'CERT'], ['tls.key', 'KEY'], ['token', 'one\n']] as const) writeFileSync(join(base, f), text);
    let now = 0;
    const access = resolveKubeconfig([{ path, text: kubeconfig({ server, 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'tls.crt', 'client-key': 'tls.key', 'token-file': 'token' }) }]);
    const kc = new OwnKubeConfig(access as never, { now: () => now });
    assert.equal((await sent(kc)).headers['Authorization'], 'Bearer one');
    writeFileSync(join(base, 'token'), 'two');
    writeFileSync(join(base, 'ca.crt'), 'CA2');
    now = 59_000;
    assert.equal((await sent(kc)).headers['Authorization'], 'Bearer one', 'read at most once a minute');
    now = 61_000;
    assert.equal((await sent(kc)).headers['Authorization'], 'Bearer two');
    assert.equal(kc.tlsOptions()?.ca?.toString(), 'CA2');
    rmSync(join(base, 'token'));
    now = 200_000;
    assert.equal((await sent(kc)).headers['Authorization'], 'Bearer two', 'a token file away for a moment keeps the last token');
  });

  it('hands the transport the TLS material of each request as client-node does, and none when there is none', async () => {
    const withTls = new OwnKubeConfig(resolveKubeconfig([{ path: '/k', text: kubeconfig({ server, 'certificate-authority-data': b64('CA'), 'insecure-skip-tls-verify': false }, { token: 't' }) }]) as never);
    const { opts, headers } = await sent(withTls);
    assert.equal(String(opts.ca), 'CA');
    assert.equal(headers['Authorization'], 'Bearer t');
    const plain = new OwnKubeConfig(resolveKubeconfig([{ path: '/k', text: kubeconfig({ server }, {}) }]) as never);
    assert.deepEqual(await sent(plain), { headers: {}, opts: {} });
  });

  it('hands what it does not serve to client-node\'s KubeConfig: exec plugins, auth-providers, basic auth, impersonation, proxies', async () => {
    const table: [ClusterEntry, UserEntry, RegExp][] = [
      [{ server }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'echo' } }, /user u has exec/],
      [{ server }, { 'auth-provider': { name: 'oidc', config: {} } }, /auth-provider/],
      [{ server }, { username: 'a', password: 'b' }, /username/],
      [{ server }, { token: 't', as: 'someone' }, /user u has as/],
      [{ server, 'proxy-url': 'http://proxy:3128' }, { token: 't' }, /cluster c has proxy-url/],
    ];
    for (const [cluster, user, reason] of table) {
      const access = resolveKubeconfig([{ path: '/k', text: kubeconfig(cluster, user) }]);
      assert.equal(access.kind, 'client-node');
      if (access.kind === 'client-node') assert.match(access.reason, reason);
    }
    // Loaded from a file, it is client-node's class, and it works as before.
    const path = file(kubeconfig({ server }, { username: 'a', password: 'b' }));
    const kc = loadKubeConfig(path, {});
    assert.equal(kc.constructor.name, 'KubeConfig');
    assert.equal((await sent(kc)).opts.auth, 'a:b', 'basic auth, which the transport sends as such');
  });

  it('merges KUBECONFIG as kubectl does: the first current-context and the first entry of each name win', () => {
    const first = stringify({ clusters: [{ name: 'c', cluster: { server: 'https://first:1' } }], users: [{ name: 'u', user: { token: 'first' } }] });
    const second = stringify({
      'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'https://second:2' } }],
      users: [{ name: 'u', user: { token: 'second' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    });
    const third = stringify({ 'current-context': 'y', contexts: [{ name: 'y', context: { cluster: 'c', user: 'u' } }] });
    const access = resolveKubeconfig([{ path: '/1', text: first }, { path: '/2', text: second }, { path: '/3', text: third }]);
    assert.deepEqual(access, { kind: 'own', cluster: { server: 'https://first:1' }, user: { token: 'first' } });
    // An empty file in the list (or one with only comments) adds nothing, as with kubectl.
    assert.deepEqual(resolveKubeconfig([{ path: '/0', text: '' }, { path: '/1', text: first }, { path: '/c', text: '# nothing yet\n' }, { path: '/2', text: second }]), access);
    const kc = loadKubeConfig([file(first), file(second)].join(':'), {});
    assert.equal(kc.getCurrentCluster()?.server, 'https://first:1');
  });

  it('merges KUBECONFIG as kubectl does on client-node\'s path too (a user with basic auth): the first current-context and the first entry of each name win', () => {
    const first = stringify({
      'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'https://first:1' } }],
      users: [{ name: 'u', user: { username: 'a', password: 'b' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    });
    const second = stringify({
      'current-context': 'y',
      clusters: [{ name: 'c', cluster: { server: 'https://second:2' } }, { name: 'd', cluster: { server: 'https://other:3' } }],
      contexts: [{ name: 'y', context: { cluster: 'd', user: 'u' } }],
    });
    const kc = loadKubeConfig([file(first), file(second)].join(':'), {});
    assert.equal(kc.constructor.name, 'KubeConfig');
    assert.equal(kc.getCurrentCluster()?.server, 'https://first:1');
  });

  it('says which file and field is wrong, and how to fix it', () => {
    const table: [string, () => unknown, RegExp][] = [
      ['a missing file', () => loadKubeConfig(join(dir, 'missing'), {}), /cannot read kubeconfig .*missing: ENOENT/],
      ['no YAML', () => loadKubeConfig(file('clusters: [unclosed'), {}), /kubeconfig .* is not valid YAML/],
      ['no current context', () => loadKubeConfig(file(stringify({ clusters: [{ name: 'c', cluster: { server } }] })), {}), /has no current cluster: set current-context/],
      ['a context naming a cluster that is not there', () => loadKubeConfig(file(kubeconfig({ server }, {}).replace('cluster: c', 'cluster: gone')), {}), /has no current cluster/],
      ['a CA file that is not there', () => loadKubeConfig(file(kubeconfig({ server, 'certificate-authority': '/nonexistent/ca.crt' }, {})), {}), /cannot read the certificate-authority \/nonexistent\/ca\.crt: ENOENT/],
      ['plain http without insecure-skip-tls-verify', () => loadKubeConfig(file(kubeconfig({ server: 'http://127.0.0.1:8080' }, { token: 't' })), {}), /plain HTTP.*set insecure-skip-tls-verify: true/],
      ['a server that is no URL', () => loadKubeConfig(file(kubeconfig({ server: 'not a url' }, {})), {}), /server "not a url" is no URL/],
      ['a server neither https nor http', () => loadKubeConfig(file(kubeconfig({ server: 'ftp://127.0.0.1:21' }, { token: 't' })), {}), /server ftp:\/\/127\.0\.0\.1:21 is neither https nor http/],
      ['nothing at all', () => loadKubeConfig(undefined, {}, { home: dir, serviceAccountDir: join(dir, 'no-sa') }), /no Kubernetes configuration: set KUBECONFIG/],
    ];
    for (const [title, load, message] of table) assert.throws(load, message, title);
    // No secret in a message: the token of a kubeconfig with a bad server stays out.
    assert.throws(() => loadKubeConfig(file(kubeconfig({ server: 'http://h' }, { token: 'secret-token' })), {}), (err: Error) => !err.message.includes('secret-token'));
  });

  it('runs in a pod on the ServiceAccount\'s token and CA files and the service\'s host and port', async () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'pod-token');
    writeFileSync(join(sa, 'ca.crt'), 'CLUSTER-CA');
    const kc = loadKubeConfig(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, { serviceAccountDir: sa, home: dir });
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:443');
    const got = await sent(kc);
    assert.equal(got.headers['Authorization'], 'Bearer pod-token');
    assert.equal(String(got.opts.ca), 'CLUSTER-CA');
    assert.equal(inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, sa).cluster.server, 'https://[fd00::1]:6443');
    // A pod whose service variables are half there is told so, not handed an "https://10.0.0.1:undefined".
    for (const env of [{ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '' }]) {
      assert.throws(() => loadKubeConfig(undefined, env, { serviceAccountDir: sa, home: dir }), { message: 'in a cluster without KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: set KUBECONFIG or --kubeconfig' });
    }
    // A mounted token without the service variables falls through to the kubeconfig, as client-go does.
    assert.throws(() => loadKubeConfig(undefined, {}, { serviceAccountDir: sa, home: join(dir, 'nohome') }), /no Kubernetes configuration/);
  });
});

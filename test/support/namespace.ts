// A fresh namespace per test (or per suite), deleted afterwards without
// waiting for it to be gone: the namespace controller finishes that while the
// next test runs.
import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { Cluster } from './cluster.ts';
import { eventually } from './wait.ts';

/** Every namespace made here carries this label, so leftovers are easy to find: kubectl delete ns -l e2e.agent-operator.dev/test */
export const TEST_NAMESPACE_LABEL = 'e2e.agent-operator.dev/test';

/**
 * Creates a namespace named after the test (or the given prefix) plus a random
 * suffix, and waits until its default ServiceAccount exists (ServiceAccount
 * admission refuses pods before that). With a TestContext it is deleted after
 * that test; with a prefix, in the file's teardown.
 */
export async function testNamespace(cluster: Cluster, owner: TestContext | string): Promise<string> {
  const prefix = typeof owner === 'string' ? owner : owner.name;
  const name = `${slug(prefix)}-${randomBytes(3).toString('hex')}`;
  await cluster.core.createNamespace({
    body: { metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: slug(prefix).slice(0, 63) } } },
  });
  const remove = () => deleteNamespace(cluster, name);
  if (typeof owner === 'string') cluster.onTeardown(remove);
  else owner.after(remove);
  await eventually(() => cluster.core.readNamespacedServiceAccount({ name: 'default', namespace: name }), {
    timeoutMs: 60_000,
    message: `default ServiceAccount in namespace ${name}`,
  });
  return name;
}

async function deleteNamespace(cluster: Cluster, name: string): Promise<void> {
  try {
    await cluster.core.deleteNamespace({ name });
  } catch (e) {
    if ((e as { code?: unknown }).code !== 404) throw e;
  }
}

/** A DNS label fragment: lower case, [a-z0-9-], at most 40 characters, starting with a letter. */
function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || 'e2e';
}

// The chart's RBAC rules and the docs table are rendered from the permission
// table; hack/generate.ts --check keeps the written files equal to these.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { docMarkers, rbacRulesTemplate, withRbacDocTable } from '../../../src/kube/rbac-template.ts';
import type { Permission } from '../../../src/kube/permissions.ts';

const table: Permission[] = [
  { scope: 'watched', group: '', resource: 'pods', verbs: ['watch', 'list', 'delete'], why: 'health' },
  { scope: 'lease', group: 'coordination.k8s.io', resource: 'leases', verbs: ['get'], why: 'election' },
];

/** The body of one named template, as YAML. */
function define(text: string, name: string): unknown {
  const m = new RegExp(`\\{\\{- define "${name}" -\\}\\}\\n([\\s\\S]*?)\\{\\{- end \\}\\}`).exec(text);
  assert.ok(m, `${name} is defined`);
  return parse(m[1]!);
}

describe('rbacRulesTemplate', () => {
  it('renders each scope as its own named template with sorted verbs', () => {
    const text = rbacRulesTemplate(table);
    assert.deepEqual(define(text, 'agent-operator.rules.watched'), [{ apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list', 'watch'] }]);
    assert.deepEqual(define(text, 'agent-operator.rules.lease'), [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'] }]);
  });
});

describe('withRbacDocTable', () => {
  it('replaces only what lies between the markers, and again to the same text', () => {
    const doc = `before\n${docMarkers.start}\nstale\n${docMarkers.end}\nafter\n`;
    const once = withRbacDocTable(doc, table);
    assert.match(once, /^before\n/);
    assert.match(once, /\nafter\n$/);
    assert.doesNotMatch(once, /stale/);
    assert.match(once, /\| "" \(core\) \| pods \| delete, list, watch \| watched namespaces \| health \|/);
    assert.equal(withRbacDocTable(once, table), once);
  });

  it('refuses a document without the markers instead of dropping the table', () => {
    assert.throws(() => withRbacDocTable('no markers here', table), /lacks the markers/);
  });
});

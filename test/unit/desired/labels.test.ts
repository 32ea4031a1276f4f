import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podLabels, selectorLabels, selectorString } from '../../../src/desired/labels.ts';
import { isLabelValue } from './k8s-names.ts';

describe('labels', () => {
  it('select an Agent by name, instance, manager and agent label', () => {
    assert.deepEqual(selectorLabels('log-forwarder'), {
      'app.kubernetes.io/name': 'agent',
      'app.kubernetes.io/instance': 'log-forwarder',
      'app.kubernetes.io/managed-by': 'agent-operator',
      'agent-operator.dev/agent': 'log-forwarder',
    });
  });

  it('stay valid label values for a 253-character Agent name', () => {
    for (const value of Object.values(selectorLabels('a'.repeat(253)))) assert.ok(isLabelValue(value), value);
  });

  it('merge user pod labels under ours, so the selector always matches', () => {
    const labels = podLabels('x', { team: 'obs', 'app.kubernetes.io/name': 'mine' });
    assert.equal(labels.team, 'obs');
    assert.equal(labels['app.kubernetes.io/name'], 'agent');
    for (const [k, v] of Object.entries(selectorLabels('x'))) assert.equal(labels[k], v);
  });

  it('write the selector as kubectl -l takes it', () => {
    assert.equal(selectorString('x'), 'app.kubernetes.io/name=agent,app.kubernetes.io/instance=x,app.kubernetes.io/managed-by=agent-operator,agent-operator.dev/agent=x');
  });
});

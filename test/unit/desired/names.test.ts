import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  configMapName as configMapNameOf, workloadName, deploymentNameMax, labelValue, liveConfigMapName, pdbName, pvcName, serviceName,
} from '../../../src/desired/names.ts';

const contentHash = 'abcdef0123456789abcdef';
/** The rendered-config ConfigMap of one content (the hash is cut to 10 hex digits). */
const configMapName = (name: string): string => configMapNameOf(name, contentHash);
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue } from './k8s-names.ts';

/** Valid Agent names at the edges: long, dotted, digit-first, and cut points that land on a dot or dash. */
const agentNames = [
  'a',
  '0',
  'log-forwarder',
  'logs.v2',
  'a.b',
  'a-b',
  '1password-agent',
  '9.9.9',
  'x'.repeat(46),
  'x'.repeat(47),
  'x'.repeat(63),
  'x'.repeat(64),
  'a'.repeat(253),
  `${'a.'.repeat(126)}a`,
  `1${'-1'.repeat(126)}`,
  `${'x'.repeat(36)}.${'y'.repeat(20)}`,
  `${'x'.repeat(36)}-${'y'.repeat(20)}`,
  `${'collector.'.repeat(25)}end`,
];

describe('derived names', () => {
  for (const name of agentNames) {
    const shown = name.length > 30 ? `${name.slice(0, 20)}… (${name.length} chars)` : name;
    it(`are valid for their kinds for Agent "${shown}"`, () => {
      const deploy = workloadName(name);
      assert.ok(isDns1123Label(deploy), `deployment ${deploy}`);
      assert.ok(deploy.length <= deploymentNameMax, `deployment ${deploy} is ${deploy.length} long`);
      // <deployment>-<pod-template-hash up to 10>-<5 random> must stay a 63-character label.
      assert.ok(isDns1123Label(`${deploy}-${'a'.repeat(10)}-${'b'.repeat(5)}`));
      assert.ok(isDns1035Label(serviceName(name)), `service ${serviceName(name)}`);
      assert.ok(isDns1123Subdomain(configMapName(name)), `configmap ${configMapName(name)}`);
      assert.ok(isDns1123Subdomain(liveConfigMapName(name)), `live configmap ${liveConfigMapName(name)}`);
      assert.ok(isDns1123Subdomain(pvcName(name)), `pvc ${pvcName(name)}`);
      assert.ok(isDns1123Subdomain(pdbName(name)), `pdb ${pdbName(name)}`);
      assert.ok(isLabelValue(labelValue(name)), `label ${labelValue(name)}`);
    });
  }

  it('are distinct for distinct Agents, also where dots and dashes or a cut would make them equal', () => {
    for (const derive of [workloadName, serviceName, configMapName, pvcName, labelValue]) {
      const derived = agentNames.map(derive);
      assert.equal(new Set(derived).size, agentNames.length, `${derive.name}: ${derived.join(' ')}`);
    }
  });

  it('are the same in every process: the hash of a changed name is the first 8 hex of sha256 of the Agent name', () => {
    // Two calls in one process agree even with a per-process salt; a restarted
    // operator would then apply a second Deployment and Service beside the first.
    const hash = (name: string): string => createHash('sha256').update(name).digest('hex').slice(0, 8);
    assert.equal(workloadName('logs.v2'), `logs-v2-${hash('logs.v2')}`);
    assert.equal(serviceName('1password-agent'), `a-1password-agent-${hash('1password-agent')}`);
    assert.equal(labelValue('x'.repeat(64)), `${'x'.repeat(54)}-${hash('x'.repeat(64))}`);
    assert.equal(configMapName('a'.repeat(253)), `${'a'.repeat(226)}-${hash('a'.repeat(253))}-config-abcdef0123`);
  });

  const table: [string, (n: string) => string, string, string | RegExp][] = [
    ['a short name is the Deployment name as it is', workloadName, 'log-forwarder', 'log-forwarder'],
    ['a short name is the Service name as it is', serviceName, 'log-forwarder', 'log-forwarder'],
    ['the ConfigMap is <agent>-config-<10 hex of its content>', configMapName, 'log-forwarder', 'log-forwarder-config-abcdef0123'],
    ['the ConfigMap of releases before content addressing was <agent>-config', liveConfigMapName, 'log-forwarder', 'log-forwarder-config'],
    ['the PVC is <agent>-state', pvcName, 'log-forwarder', 'log-forwarder-state'],
    ['the PDB is the Agent name, dots and all', pdbName, 'logs.v2', 'logs.v2'],
    ['dots become dashes in a Service name, with a hash', serviceName, 'logs.v2', /^logs-v2-[0-9a-f]{8}$/],
    ['dots become dashes in a Deployment name, with a hash', workloadName, 'logs.v2', /^logs-v2-[0-9a-f]{8}$/],
    ['a Service name starting with a digit gets a letter prefix and a hash', serviceName, '1password-agent', /^a-1password-agent-[0-9a-f]{8}$/],
    ['a Deployment name may start with a digit', workloadName, '1password-agent', '1password-agent'],
    ['a 46-character name is not cut for the Deployment', workloadName, 'x'.repeat(46), 'x'.repeat(46)],
    ['a 47-character name is cut to 46 with a hash for the Deployment', workloadName, 'x'.repeat(47), new RegExp(`^x{37}-[0-9a-f]{8}$`)],
    ['a 63-character name is the label value as it is', labelValue, 'x'.repeat(63), 'x'.repeat(63)],
    ['a 64-character name is cut with a hash for a label value', labelValue, 'x'.repeat(64), /^x{54}-[0-9a-f]{8}$/],
    ['a cut never leaves a dash or dot before the hash', workloadName, `${'x'.repeat(36)}.${'y'.repeat(20)}`, /^x{36}-[0-9a-f]{8}$/],
    ['a 253-character name keeps its -config-<hash> suffix within 253', configMapName, 'a'.repeat(253), /^a{226}-[0-9a-f]{8}-config-abcdef0123$/],
  ];
  for (const [title, derive, input, expected] of table) {
    it(title, () => {
      const got = derive(input);
      if (typeof expected === 'string') assert.equal(got, expected);
      else assert.match(got, expected);
    });
  }
});

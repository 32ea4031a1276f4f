import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lostClaims, type Claim } from '../../../bench/chaos/volumes.ts';
import { kwokNodes } from '../../../bench/chaos/node-loss.ts';

const claim = (name: string, o: Partial<Claim> = {}): Claim => ({ name, uid: `uid-${name}`, phase: 'Bound', volume: `pv-${name}`, ...o });

describe('chaos: lost PVCs', () => {
  const cases: { name: string; after: Claim[]; lost: string[] }[] = [
    { name: 'every claim still Bound to its volume: none lost', after: [claim('a'), claim('b'), claim('c')], lost: [] },
    { name: 'a claim that is gone is lost', after: [claim('a'), claim('b')], lost: ['c is gone (was bound to pv-c)'] },
    { name: 'a claim deleted and made again is lost (its state is not the old volume)', after: [claim('a'), claim('b'), claim('c', { uid: 'new', phase: 'Pending', volume: '' })], lost: ['c was replaced by a new claim (Pending unbound)'] },
    { name: 'a claim whose volume is gone is lost', after: [claim('a'), claim('b'), claim('c', { phase: 'Lost' })], lost: ['c is Lost, no longer Bound'] },
    { name: 'a claim bound to another volume is lost', after: [claim('a'), claim('b'), claim('c', { volume: 'pv-x' })], lost: ['c is bound to pv-x, was pv-c'] },
    { name: 'a claim made during the run is not counted', after: [claim('a'), claim('b'), claim('c'), claim('d', { phase: 'Pending' })], lost: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(lostClaims([claim('a'), claim('b'), claim('c')], c.after), c.lost));

  it('takes the kwok nodes in number order and leaves the real node out', () => {
    assert.deepEqual(kwokNodes(['kwok-node-10', 'real-node', 'kwok-node-2', 'kwok-node-0']), ['kwok-node-0', 'kwok-node-2', 'kwok-node-10']);
  });
});

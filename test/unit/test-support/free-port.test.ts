import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, freePortRange } from '../../support/free-port.ts';

describe('freePort', () => {
  it('picks a port below the kernel\'s ephemeral range, where no outgoing connection can take it before the operator binds it', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port >= 1024 && port < ephemeralLow && port < 20_000, `${port}: outside [1024, min(${ephemeralLow}, 20000))`);
    }
  });

  it('skips a port something listens on', async () => {
    const busy = createServer();
    const { low } = freePortRange();
    await new Promise<void>((resolve) => busy.listen(low, '127.0.0.1', resolve));
    try {
      let call = 0;
      const port = await freePort(() => (call++ === 0 ? 0 : 0.5));
      assert.notEqual(port, low);
    } finally {
      busy.close();
    }
  });

  it('stays below hack/cluster\'s ports and the ephemeral range, however low the kernel starts it', () => {
    assert.deepEqual(freePortRange({ low: 32768, high: 60999 }), { low: 10_000, high: 20_000 });
    assert.deepEqual(freePortRange({ low: 15000, high: 60999 }), { low: 10_000, high: 15_000 });
    assert.deepEqual(freePortRange({ low: 5000, high: 60999 }), { low: 4_000, high: 5_000 });
  });
});

// A free TCP port on loopback, for the operator's metrics and health servers.
// Kept free of node:test so benchmarks can import it too.
//
// Picked below the kernel's ephemeral range and below hack/cluster's range
// (20000-32000), then checked by binding it. A port the kernel hands out
// (listen on 0) is in the ephemeral range: once it is closed again, any
// outgoing connection on the machine may take it as its local port before
// the operator binds it. With an HTTP/1.1 connection per watch that happened
// in make test (zero-writes: EADDRINUSE on 127.0.0.1:42889).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The ports freePort picks from: [low, high). */
export function freePortRange(ephemeralRange = readEphemeralRange()): { low: number; high: number } {
  const high = Math.min(20_000, ephemeralRange.low);
  return { low: Math.min(10_000, high - 1_000), high };
}

function readEphemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return { low, high };
  } catch {
    // not Linux: the IANA range
  }
  return { low: 49_152, high: 65_535 };
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(random: () => number = Math.random): Promise<number> {
  const { low, high } = freePortRange();
  for (let i = 0; i < 100; i++) {
    const port = low + Math.floor(random() * (high - low));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${low}-${high - 1} after 100 tries`);
}

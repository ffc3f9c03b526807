/**
 * Ports for servers that go down and come back on the same number: a simulated 110 centre or
 * SMS centre in an outage, PostgreSQL, Redis or influxd halted and started again over their data.
 *
 * A port the system picks (listen on 0) comes from its ephemeral range, the range it also hands
 * every outgoing connection its local port from (Linux: /proc/sys/net/ipv4/ip_local_port_range,
 * 32768–60999 by default). While such a server is down, any socket of any process may be given
 * its number, and the server cannot come back: seen in a full test run, where the crash test's
 * 110 centre failed to listen again (EADDRINUSE) after its outage. A port outside that range is
 * only ever taken by someone binding it by number. outagePort() picks one at random below the
 * range (from 10000), or above it if there is no room below, and checks it is free now; a
 * caller still retries on EADDRINUSE (another process may pick the same number meanwhile).
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const MIN_ROOM = 2_000;
const TRIES = 50;

/** The system's range for the ports it hands out; Linux's default when it cannot be read. */
export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && Number.isInteger(lo) && Number.isInteger(hi) && lo > 0 && lo <= hi) return [lo, hi];
  } catch {
    // not Linux, or not readable
  }
  return [32768, 60999];
}

/** Where outagePort() picks: below the ephemeral range, else above it; undefined when neither has room. */
export function outagePortRange(range = ephemeralRange()): [number, number] | undefined {
  const [lo, hi] = range;
  if (lo - 1 - LOWEST >= MIN_ROOM) return [LOWEST, lo - 1];
  if (65535 - (hi + 1) >= MIN_ROOM) return [hi + 1, 65535];
  return undefined;
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    u.once('error', () => {
      u.close();
      resolve(false);
    });
    u.bind(port, host, () => u.close(() => resolve(true)));
  });
}

function systemPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A port free on `host` now (for TCP, and for UDP too with `udp`), outside the system's
 * ephemeral range when there is room (see the file comment); else one the system picks.
 */
export async function outagePort(host = '127.0.0.1', opts: { udp?: boolean } = {}): Promise<number> {
  const range = outagePortRange();
  if (range) {
    for (let i = 0; i < TRIES; i++) {
      const port = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
      if ((await tcpFree(host, port)) && (!opts.udp || (await udpFree(host, port)))) return port;
    }
  }
  return systemPort(host);
}

const isAddressInUse = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

/**
 * Runs `listen(port)`; for port 0, on outagePort() numbers instead, up to 10 of them while the
 * number turns out taken (another process may bind it between the check and the listen).
 */
export async function listenForOutages<T>(host: string, port: number, listen: (port: number) => Promise<T>, opts: { udp?: boolean } = {}): Promise<T> {
  if (port !== 0) return listen(port);
  for (let attempt = 1; ; attempt++) {
    try {
      return await listen(await outagePort(host, opts));
    } catch (err) {
      if (attempt >= 10 || !isAddressInUse(err)) throw err;
    }
  }
}

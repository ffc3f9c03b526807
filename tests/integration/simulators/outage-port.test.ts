/**
 * Ports for servers that go down and come back (simulators/outage-port.ts): outside the system's
 * ephemeral range, free when handed out, and a simulated 110 centre on port 0 listens again after
 * its outage on the same number.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AlarmCentreSimulator } from '../../../simulators/alarm-centre/alarm-centre-simulator.js';
import { ephemeralRange, listenForOutages, outagePort, outagePortRange } from '../../../simulators/outage-port.js';

const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });

const inUse = (): Error => Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });

describe('outage ports', () => {
  it('are picked below the ephemeral range when there is room, else above it', () => {
    expect(outagePortRange([32768, 60999])).toStrictEqual([10000, 32767]);
    expect(outagePortRange([11000, 60000])).toStrictEqual([60001, 65535]);
    expect(outagePortRange([11000, 64000])).toBeUndefined();
  });

  it('are free for TCP and UDP and outside the system\'s ephemeral range', async () => {
    const [lo, hi] = ephemeralRange();
    for (let i = 0; i < 20; i++) {
      const port = await outagePort('127.0.0.1', { udp: true });
      expect(port < lo || port > hi, `${port} in ${lo}-${hi}`).toBe(true);
      expect(await refused(port)).toBe(true);
    }
  });

  it('listenForOutages: a fixed port once; port 0 tries other numbers while they are taken, and gives up on other errors', async () => {
    const fixed: number[] = [];
    await listenForOutages('127.0.0.1', 4321, async (p) => fixed.push(p));
    expect(fixed).toStrictEqual([4321]);

    const tried: number[] = [];
    const got = await listenForOutages('127.0.0.1', 0, async (p) => {
      tried.push(p);
      if (tried.length < 3) throw inUse();
      return p;
    });
    expect(tried).toHaveLength(3);
    expect(got).toBe(tried[2]);

    let calls = 0;
    await expect(
      listenForOutages('127.0.0.1', 0, async () => {
        calls++;
        throw Object.assign(new Error('denied'), { code: 'EACCES' });
      }),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
    await expect(listenForOutages('127.0.0.1', 0, async () => Promise.reject(inUse()))).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('a 110 centre on port 0 comes back on its number after being down', async () => {
    const centre = new AlarmCentreSimulator();
    try {
      const { port } = await centre.start({ port: 0, httpPort: null });
      const [lo, hi] = ephemeralRange();
      expect(port < lo || port > hi).toBe(true);
      await centre.setMode('down');
      expect(await refused(port)).toBe(true);
      await centre.setMode('normal');
      expect(await refused(port)).toBe(false);
    } finally {
      await centre.stop();
    }
  });
});

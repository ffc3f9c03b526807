/**
 * The DC-09 receiver on port 0 with TCP and UDP: the system picks a free TCP port, and UDP must
 * bind the same number, which another program's UDP socket may hold. That happened in full test
 * runs: the panel-dc09 adapter failed to start, its panels were `unreachable` and never heard.
 * Here a real UDP socket takes the picked number just before the receiver binds it (node:dgram's
 * createSocket is wrapped to do so), so the receiver meets a real EADDRINUSE.
 */
import type * as Dgram from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';

const taken: { port: number; close(): Promise<void> }[] = [];
const steal = { next: 0 };

vi.mock('node:dgram', async (importOriginal) => {
  const real = await importOriginal<typeof Dgram>();
  const createSocket = ((...args: Parameters<typeof real.createSocket>) => {
    const socket = real.createSocket(...args);
    if (steal.next > 0) {
      steal.next--;
      const bind = socket.bind.bind(socket) as (port: number, host: string, cb: () => void) => void;
      // Another program binds the number first, then the receiver's own bind runs.
      (socket as unknown as { bind: typeof bind }).bind = (port, host, cb) => {
        const blocker = real.createSocket('udp4');
        blocker.bind(port, host, () => {
          taken.push({ port: blocker.address().port, close: () => new Promise<void>((r) => blocker.close(() => r())) });
          bind(port, host, cb);
        });
      };
    }
    return socket;
  }) as typeof real.createSocket;
  return { ...real, default: { ...real, createSocket }, createSocket };
});

const { Dc09Receiver } = await import('../../../../../adapters/shared/dc09/dc09-receiver.js');

const receivers: InstanceType<typeof Dc09Receiver>[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
  for (const t of taken.splice(0)) await t.close();
  steal.next = 0;
});

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const receiver = (port = 0) => {
  const r = new Dc09Receiver({ port, onMessage: async () => undefined });
  receivers.push(r);
  return r;
};

describe('DC-09 receiver: the port for TCP and UDP', () => {
  it('port 0: a picked number whose UDP side is taken is given up for another, and its TCP listener closed', async () => {
    steal.next = 2;
    const { port } = await receiver().start();
    expect(taken).toHaveLength(2);
    for (const t of taken) expect(port).not.toBe(t.port);
    // The receiver holds both transports on the number it reports ...
    expect(await tcpAnswers(port)).toBe(true);
    // ... and nothing on the numbers it gave up.
    for (const t of taken) expect(await tcpAnswers(t.port)).toBe(false);
  });

  it('a configured port whose UDP side is taken: start() fails with EADDRINUSE and leaves no TCP listener', async () => {
    // A free number to configure: picked by a first receiver, then released.
    const probe = receiver();
    const { port } = await probe.start();
    await probe.stop();
    steal.next = 1;
    await expect(receiver(port).start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(taken).toHaveLength(1);
    expect(await tcpAnswers(port)).toBe(false);
  });
});

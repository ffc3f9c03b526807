/**
 * The SIP transport's start when its TCP side cannot listen: a configured port whose TCP number
 * another program holds. start() fails with EADDRINUSE and its UDP socket does not stay bound
 * (it did: the port stayed taken by the gateway itself, so every later start, e.g. at the next
 * lease takeover, failed on it too).
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SipTransport } from '../../../../adapters/camera-gb28181/sip-transport.js';
import { systemClock } from '../../../../gateway/contract/clock.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

const transport = (port: number) =>
  new SipTransport({ host: '127.0.0.1', port, transports: ['udp', 'tcp'], log: pino({ level: 'silent' }), clock: systemClock, onRequest: () => {}, onMalformed: () => {} });

const udpFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const u = createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });

describe('SIP transport start', () => {
  it('a configured port whose TCP side is taken: fails with EADDRINUSE and leaves its UDP side free', async () => {
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    await expect(transport(port).start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await udpFree(port)).toBe(true);
    // And once the number is free, a start on it succeeds (nothing of the failed one is in the way).
    await new Promise<void>((r) => holder.close(() => r()));
    servers.splice(0);
    const t = transport(port);
    expect(await t.start()).toBe(port);
    await t.stop();
  });
});

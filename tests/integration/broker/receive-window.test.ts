/**
 * mqtt.receiveMaximum on a real aedes broker over TCP (gateway/broker/receive-window.ts): a
 * device whose publishes are not answered (a full telemetry store) is not read past `max` of
 * them, even when it sends one reading at a time (aedes alone reads such a sender on every
 * 'readable' event and held all of them); once answered, everything it sent is handled once,
 * in order, and the connection keeps being read (aedes' own pause()/resume() stalled it).
 */
import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReceiveWindow } from '../../../gateway/broker/receive-window.js';
import { Counters } from '../../../gateway/core/counters.js';

const MAX = 4;

interface Rig {
  broker: Aedes;
  server: Server;
  device: MqttClient;
  window: ReceiveWindow;
  counters: Counters;
  /** Payloads reaching authorizePublish, in order. */
  seen: string[];
  /** Answers withheld while `blocked`. */
  held: (() => void)[];
  blocked: boolean;
  client(): Client & { conn: NodeJS.ReadableStream & { readableLength: number } };
}

let rig: Rig | undefined;

async function start(): Promise<Rig> {
  const counters = new Counters();
  const window = new ReceiveWindow(MAX, counters);
  const r = { window, counters, seen: [] as string[], held: [] as (() => void)[], blocked: true } as Rig;
  r.broker = await Aedes.createBroker({
    authorizePublish: (client, packet, answer) => {
      const h = client ? window.hold(client) : null;
      const cb = (err: Error | null) => (client && h ? window.leave(client, h, answer, err) : answer(err));
      r.seen.push(String(packet.payload));
      if (r.blocked) r.held.push(() => cb(null));
      else setImmediate(() => cb(null));
    },
  });
  r.server = createServer(r.broker.handle);
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  const { port } = r.server.address() as { port: number };
  r.device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'btn-1', reconnectPeriod: 0, protocolVersion: 4 });
  r.client = () => (r.broker as unknown as { clients: Record<string, ReturnType<Rig['client']>> }).clients['btn-1'] as ReturnType<Rig['client']>;
  return r;
}

function unblock(r: Rig): void {
  r.blocked = false;
  for (const answer of r.held.splice(0)) answer();
}

afterEach(async () => {
  if (!rig) return;
  const r = rig;
  rig = undefined;
  await r.device.endAsync(true);
  await new Promise<void>((resolve) => r.broker.close(() => resolve()));
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
});

describe('mqtt.receiveMaximum on aedes', () => {
  it('does not read a one-at-a-time sender past max unanswered publishes, then handles all once, in order', async () => {
    const r = (rig = await start());
    const n = 40;
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      acks.push(r.device.publishAsync('campus/v1/sch-01/btn-1/telemetry', `r${i}`, { qos: 1 }));
      // Each reading in its own TCP segment: wait until the broker either handled it or left
      // it unread in the connection's buffer.
      await vi.waitFor(() => expect(r.seen.length === i + 1 || r.client().conn.readableLength > 0).toBe(true), { timeout: 10_000, interval: 2 });
    }
    expect(r.seen.length).toBe(MAX);
    expect(r.window.paused()).toBe(1);
    expect(r.counters.snapshot()['mqtt.receive.paused']).toBe(1);

    unblock(r);
    await Promise.all(acks);
    expect(r.seen).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
    expect(r.window.paused()).toBe(0);

    // Still read after the release (no stall), held again when answers stop.
    r.blocked = true;
    const more = Array.from({ length: 10 }, (_, i) => r.device.publishAsync('campus/v1/sch-01/btn-1/telemetry', `m${i}`, { qos: 1 }));
    await vi.waitFor(() => expect(r.window.paused()).toBe(1), { timeout: 10_000, interval: 2 });
    unblock(r);
    await Promise.all(more);
    expect(r.seen.slice(n)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  });

  it('a burst of 10,000 unanswered readings: held to one read, then every one answered', async () => {
    const r = (rig = await start());
    const n = 10_000;
    let acked = 0;
    const acks = Array.from({ length: n }, (_, i) => r.device.publishAsync('campus/v1/sch-01/btn-1/telemetry', `b${i}`, { qos: 1 }).then(() => acked++));
    await vi.waitFor(() => expect(r.window.paused()).toBe(1), { timeout: 10_000, interval: 2 });
    await vi.waitFor(() => expect(r.client().conn.readableLength).toBeGreaterThan(0), { timeout: 10_000, interval: 2 });
    // One socket read (libuv reads at most 64 KiB, the stream buffers its 16 KiB high-water mark).
    expect(r.seen.length).toBeLessThanOrEqual(Math.ceil((80 * 1024) / 40));
    expect(acked).toBe(0);
    unblock(r);
    await Promise.all(acks);
    expect(new Set(r.seen).size).toBe(n);
    expect(r.window.paused()).toBe(0);
  });
});

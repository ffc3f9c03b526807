/**
 * One device floods while another presses its alarm button: the press reaches the alarm
 * board, the flooder is throttled then disconnected and shows `flooding`, and other devices'
 * heartbeats all get through.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { generate, parser as mqttParser, type Packet } from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const LIMIT = { messagesPerSecond: 20, burst: 20, disconnectAfterSeconds: 2, clearAfterSeconds: 60 };
const FLOODER = { id: 'sch-01-btn-1', site: 'sch-01' };
const PRESSER = { id: 'sch-02-btn-1', site: 'sch-02' };
const STEADY = [
  { id: 'sch-05-btn-1', site: 'sch-05' },
  { id: 'sch-06-btn-1', site: 'sch-06' },
  { id: 'sch-08-btn-1', site: 'sch-08' },
];
/** Upper bound on what the flooder writes, so the test ends even if the limit were broken. */
const FLOOD_CAP = 300_000;

interface Flood {
  written: number;
  connectedAt: number;
  closedAt?: number;
  done: Promise<void>;
}

/** A raw MQTT client that writes QoS 0 telemetry as fast as TCP lets it, until closed or capped. */
async function flood(port: number): Promise<Flood> {
  const socket: Socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true });
  const p = mqttParser({ protocolVersion: 4 });
  const connack = new Promise<Packet>((resolve, reject) => {
    p.once('packet', resolve);
    socket.once('error', reject);
  });
  socket.on('data', (d) => p.parse(d));
  await new Promise((r) => socket.once('connect', r));
  socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: FLOODER.id, clean: true, keepalive: 60, username: FLOODER.id, password: Buffer.from(`demo-pass-${FLOODER.id}`) }));
  expect(await connack).toMatchObject({ cmd: 'connack', returnCode: 0 });
  const packet = generate({ cmd: 'publish', topic: `campus/v1/${FLOODER.site}/${FLOODER.id}/telemetry`, payload: Buffer.from('{"battery":90}'), qos: 0, retain: false, dup: false });
  const state: Flood = { written: 0, connectedAt: Date.now(), done: Promise.resolve() };
  let closed = false;
  socket.on('error', () => undefined);
  socket.once('close', () => {
    closed = true;
    state.closedAt = Date.now();
  });
  state.done = (async () => {
    while (!closed && state.written < FLOOD_CAP) {
      state.written++;
      if (!socket.write(packet)) await new Promise<void>((r) => (socket.once('drain', r), socket.once('close', r)));
    }
    socket.destroy();
  })();
  return state;
}

describe('per-device publish rate limit', () => {
  let t: TestGateway;
  const received = new Map<string, number>();

  beforeAll(async () => {
    t = await startGateway({ mqtt: { rateLimit: LIMIT } });
    await t.gw.broker.bus.subscribe('campus/v1/+/+/telemetry', (topic) => {
      const id = topic.split('/')[3] ?? '';
      received.set(id, (received.get(id) ?? 0) + 1);
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('throttles then disconnects the flooder while a press and the heartbeats of others go through', async () => {
    const steady: MqttClient[] = await Promise.all(STEADY.map((d) => connectAs(t.mqttUrl, d.id)));
    const sent = new Map<string, number>();
    let beating = true;
    const heartbeats = steady.map(async (c, i) => {
      const d = STEADY[i] as { id: string; site: string };
      while (beating) {
        // QoS 1: resolves on PUBACK, i.e. once the gateway has taken it (broker.ts dispatch).
        await c.publishAsync(`campus/v1/${d.site}/${d.id}/telemetry`, JSON.stringify({ battery: 80 + i }), { qos: 1 });
        sent.set(d.id, (sent.get(d.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    const f = await flood(t.mqttPort);
    await eventually(() => t.gw.counters.get('mqtt.ratelimit.throttled') > 0);

    // The press, while the flooder is connected and being throttled.
    const presser = await connectAs(t.mqttUrl, PRESSER.id);
    await presser.publishAsync(`campus/v1/${PRESSER.site}/${PRESSER.id}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
    const pressedWhileFlooding = f.closedAt === undefined;
    expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === PRESSER.id).map((a) => [a.type, a.state])).toStrictEqual([['panic', 'active']]);
    // …and on the board as the duty officer reads it.
    const board = (await (await t.api(`/api/alarms?site=${PRESSER.site}`, { as: 'duty' })).json()) as { type: string; deviceId?: string; state: string }[];
    expect(board.map((a) => [a.type, a.deviceId, a.state])).toStrictEqual([['panic', PRESSER.id, 'active']]);
    await presser.endAsync();

    await f.done;
    beating = false;
    await Promise.all(heartbeats);
    await Promise.all(steady.map((c) => c.endAsync()));

    expect(pressedWhileFlooding).toBe(true);
    expect(f.closedAt).toBeDefined();
    expect(f.written).toBeLessThan(FLOOD_CAP);
    // Throttled: what the gateway took is bounded by the bucket, however much was written.
    const seconds = ((f.closedAt ?? Date.now()) - f.connectedAt) / 1000;
    const accepted = received.get(FLOODER.id) ?? 0;
    expect(accepted).toBeLessThanOrEqual(LIMIT.burst + Math.ceil(LIMIT.messagesPerSecond * seconds) + 1);
    expect(f.written).toBeGreaterThan(accepted);
    expect(t.gw.counters.get('mqtt.ratelimit.disconnected')).toBe(1);
    expect(t.gw.health.get(FLOODER.id)?.reasons.find((r) => r.code === 'flooding')).toStrictEqual({
      code: 'flooding',
      detail: 'over 20 msg/s for 2 s: disconnected',
      since: expect.any(Number),
    });
    // Every heartbeat of the others was taken, and none of them is flagged.
    for (const d of STEADY) {
      expect(sent.get(d.id)).toBeGreaterThan(5);
      expect(received.get(d.id)).toBe(sent.get(d.id));
      expect(t.gw.health.get(d.id)?.reasons.map((r) => r.code)).not.toContain('flooding');
      expect(t.gw.health.get(d.id)?.status).not.toBe('offline');
    }
  });
});

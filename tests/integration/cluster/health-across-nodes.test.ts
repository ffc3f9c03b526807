/**
 * Health across nodes (cluster design §3): a device connected to one node is heard on the other
 * through the broker's Redis emitter, for its liveness only (never ingested twice), and its
 * conditions through the other node's own view on the live relay: two gateway
 * nodes in this process on a real PostgreSQL and a real Redis. Without it the lease holder would
 * see every device of the other node go silent and raise device-offline for it.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../../simulators/ephemeral-far-ends.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

describe('health across nodes', () => {
  let server: TestPostgres;
  let redis: TestRedis;
  let farEnds: EphemeralFarEnds;
  const nodes: TestGateway[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    [server, redis, farEnds] = await Promise.all([startTestPostgres(), startTestRedis(), startEphemeralFarEnds()]);
    const url = await server.freshDatabase('health');
    for (const id of ['hn-a', 'hn-b']) {
      nodes.push(await startGateway({ cluster: { databaseUrl: url, redisUrl: redis.url, nodeId: id, takeoverSeconds: 6 } }, { centre: { ...farEnds, stop: async () => undefined } }));
    }
  }, 240_000);

  afterAll(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
    for (const n of nodes.splice(0)) await n.close();
    await farEnds?.stop();
    await redis?.stop();
    await server?.stop();
  }, 60_000);

  it("keeps a device connected to one node alive on the other, and hears its will there, without ingesting its events twice", async () => {
    const [a, b] = nodes as [TestGateway, TestGateway];
    const id = 'sch-05-btn-1';
    // B has never heard it (its health may carry the holder's reasons, e.g. not-linked-110, by the live relay).
    expect(b.gw.health.get(id)?.lastSeen).toBeUndefined();
    const ingestedOnB = b.gw.counters.get('events.telemetry');
    const device = await connectAs(a.mqttUrl, id, { will: { topic: `campus/v1/sch-05/${id}/status`, payload: Buffer.from('offline'), qos: 1, retain: false } });
    clients.push(device);
    await device.publishAsync(`campus/v1/sch-05/${id}/telemetry`, JSON.stringify({ battery: 5, rssi: -60 }), { qos: 1 });
    // Heard on B (the node it is not connected to): alive there too.
    const heard = await eventually(() => (b.gw.health.get(id)?.lastSeen !== undefined ? b.gw.health.get(id) : undefined), { timeoutMs: 15_000 });
    expect(heard.status).not.toBe('offline');
    // Ingested on A only (its low battery is a condition there); B took its liveness from the
    // broker, and A's low battery from A's own view over the live relay, without ingesting it.
    expect(a.gw.health.get(id)?.reasons.map((r) => r.code)).toContain('low-battery');
    await eventually(() => b.gw.health.get(id)?.reasons.some((r) => r.code === 'low-battery') || undefined, { timeoutMs: 15_000 });
    expect(b.gw.counters.get('events.telemetry')).toBe(ingestedOnB);

    // The device drops without a DISCONNECT: its will, published on A, reaches B's health.
    device.stream.destroy();
    await eventually(() => b.gw.health.get(id)?.status === 'offline', { timeoutMs: 30_000 });
  }, 120_000);
});

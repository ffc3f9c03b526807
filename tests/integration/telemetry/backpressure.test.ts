/**
 * Back-pressure end to end (issue 18): the gateway's embedded telemetry store is blocked (a second
 * SQLite connection holds the write lock, so every commit fails and is retried). Buttons keep
 * sending QoS 1 readings: no more are PUBACKed than the store's bound holds, none acknowledged is
 * lost, and a press meanwhile is acknowledged and reaches the 110 centre. Once the store drains,
 * every reading is acknowledged and every acknowledged reading is in the store.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectAs, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { storedPoints } from '../../helpers/telemetry-sqlite.js';

const BOUND = 100;
const SENDERS = ['sch-02-btn-1', 'sch-03-btn-1', 'sch-04-btn-1'];
const PER_SENDER = 100;
const RECEIVE_MAXIMUM = 4;

describe('telemetry back-pressure through the gateway (embedded store)', () => {
  let t: TestGateway;
  let locker: Database.Database;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startGateway({ telemetry: { maxBufferedPoints: BOUND, batchSize: 20, flushIntervalMs: 20 }, mqtt: { receiveMaximum: RECEIVE_MAXIMUM, rateLimit: { messagesPerSecond: 0 } } });
    locker = new Database(join(t.dataDir, 'telemetry', 'telemetry.sqlite'));
  });
  afterAll(async () => {
    if (locker.inTransaction) locker.exec('ROLLBACK');
    locker.close();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await t.close();
  });

  /** Readings stored (day tables and the staging table, telemetry-embedded-sql.ts) of `devices`. */
  const storedReadings = (devices: string[] = SENDERS): number =>
    storedPoints(
      join(t.dataDir, 'telemetry', 'telemetry.sqlite'),
      `sid IN (SELECT id FROM series WHERE measurement = 'telemetry' AND device IN (${devices.map(() => '?').join(',')}))`,
      ...devices,
    ).points;

  it('withholds PUBACK past the bound, loses nothing acknowledged, and never holds a press', async () => {
    // The writer thread commits on its own: let it finish what the gateway's start wrote, so
    // nothing is mid-commit when the lock is taken.
    await t.gw.telemetry.flush();
    const written0 = t.gw.telemetry.stats().written;
    locker.exec('BEGIN IMMEDIATE');
    let acked = 0;
    const sent: Promise<unknown>[] = [];
    for (const id of SENDERS) {
      const c = await connectAs(t.mqttUrl, id);
      clients.push(c);
      const site = id.slice(0, 6);
      for (let i = 0; i < PER_SENDER; i++) {
        sent.push(c.publishAsync(`campus/v1/${site}/${id}/telemetry`, JSON.stringify({ battery: 50 + (i % 40), seq: i + 1 }), { qos: 1 }).then(() => acked++));
      }
    }
    // The store is full and cannot drain: readings wait, and their senders get no PUBACK.
    await vi.waitFor(() => expect(t.gw.telemetry.stats().waiting).toBeGreaterThan(0), { timeout: 20_000, interval: 20 });
    await vi.waitFor(() => expect(t.gw.telemetry.stats().retries).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 20 });
    expect(acked).toBeLessThanOrEqual(BOUND);
    expect(acked).toBeLessThan(SENDERS.length * PER_SENDER);
    expect(t.gw.telemetry.stats()).toMatchObject({ written: written0, dropped: 0 });

    // A press meanwhile: acknowledged (committed) and forwarded to the 110 centre.
    const button = await connectAs(t.mqttUrl, 'sch-01-btn-1');
    clients.push(button);
    await button.publishAsync('campus/v1/sch-01/sch-01-btn-1/event', JSON.stringify({ type: 'press', seq: 1 }), { qos: 1 });
    const atCentre = await t.centre.primary.waitForMessage((m) => m.account === '1001' && m.data.includes('PA'), 20_000);
    expect(atCentre.data).toContain('PA');
    expect(acked).toBeLessThanOrEqual(BOUND);

    // Counted where an operator looks: /api/health and /metrics.
    const health = (await (await t.api('/api/health')).json()) as { telemetry: Record<string, number>; counters: Record<string, number> };
    expect(health.telemetry.waiting).toBeGreaterThan(0);
    expect(health.counters['telemetry.throttled']).toBeGreaterThan(0);
    const metrics = await (await t.api('/metrics')).text();
    expect(metrics).toMatch(/telemetry_backpressure\{store="embedded",figure="waiting"\} [1-9]/);

    // The store drains: every reading is acknowledged, every acknowledged one is stored.
    locker.exec('COMMIT');
    await Promise.all(sent);
    expect(acked).toBe(SENDERS.length * PER_SENDER);
    await t.gw.telemetry.flush();
    expect(storedReadings()).toBe(SENDERS.length * PER_SENDER);
    expect(t.gw.telemetry.stats()).toMatchObject({ dropped: 0, waiting: 0 });
    expect(t.gw.telemetry.stats().throttled).toBeGreaterThan(0);
  });

  it('stops reading a sender past mqtt.receiveMaximum: what the gateway holds stays bounded', async () => {
    // End to end through the gateway (the one-reading-at-a-time case, which aedes alone does not
    // hold, is tests/integration/broker/receive-window.test.ts): the sender's connection is
    // paused, shown on /metrics, released without a stall, and nothing acknowledged is lost.
    const id = 'sch-05-btn-1';
    const n = 10_000;
    const topic = `campus/v1/sch-05/${id}/telemetry`;
    // Packets parsed from one socket read are all handled (mqtt-packet parses a whole chunk):
    // libuv reads up to 64 KiB at a time and the stream buffers up to its 16 KiB high-water mark
    // before a read, so one read holds at most 80 KiB of the smallest packet sent here.
    const smallest = 2 + 2 + Buffer.byteLength(topic) + 2 + JSON.stringify({ battery: 60, seq: 1 }).length;
    const oneRead = Math.ceil((80 * 1024) / smallest);
    const retries0 = t.gw.telemetry.stats().retries ?? 0;
    const c = await connectAs(t.mqttUrl, id);
    clients.push(c);
    locker.exec('BEGIN IMMEDIATE');
    let acked = 0;
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(c.publishAsync(topic, JSON.stringify({ battery: 60, seq: i + 1 }), { qos: 1 }).then(() => acked++));
    }
    // The store retries its blocked commit while the sender keeps offering: at every look, the
    // readings waiting for room are at most what one connection may have in progress plus one
    // socket read.
    let peak = 0;
    await vi.waitFor(
      () => {
        peak = Math.max(peak, t.gw.telemetry.stats().waiting ?? 0);
        expect((t.gw.telemetry.stats().retries ?? 0) - retries0).toBeGreaterThanOrEqual(5);
      },
      { timeout: 30_000, interval: 5 },
    );
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(RECEIVE_MAXIMUM + oneRead);
    expect(RECEIVE_MAXIMUM + oneRead).toBeLessThan(n / 5);
    expect(acked).toBeLessThanOrEqual(BOUND);
    const metrics = await (await t.api('/metrics')).text();
    expect(metrics).toMatch(/campus_gateway_mqtt_clients_paused 1\b/);

    locker.exec('COMMIT');
    await Promise.all(sent);
    expect(acked).toBe(n);
    await t.gw.telemetry.flush();
    expect(storedReadings([id])).toBe(n);
    expect(t.gw.telemetry.stats()).toMatchObject({ dropped: 0, waiting: 0 });
    expect(t.gw.broker.pausedClients()).toBe(0);
    expect((t.gw.counters.snapshot() as Record<string, number>)['mqtt.receive.paused']).toBeGreaterThan(0);
  }, 120_000);
});

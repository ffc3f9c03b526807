/**
 * The gateway on PostgreSQL (cluster.databaseUrl, DATABASE_URL): the default district, a real
 * server started here. A press is committed in PostgreSQL (the alarm and its 110 outbox entry)
 * before its PUBACK, reaches the 110 centre simulator, shows on /api/alarms, and survives a
 * restart without being forwarded again. With the server down, presses (MQTT and DC-09) are
 * not acknowledged; the devices send them again and, once the database is back, every one is
 * delivered: none lost, none doubled.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { PanelDc09Adapter } from '../../../adapters/panel-dc09/index.js';
import type { Alarm } from '../../../gateway/contract/types.js';
import { Dc09PanelSimulator } from '../../../simulators/alarm-centre/panel.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await server?.stop();
});

function db(url: string): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max: 2 });
  p.on('error', () => undefined);
  pools.push(p);
  return p;
}

const press = (site: string, device: string, seq?: number): [string, string] => [`campus/v1/${site}/${device}/event`, JSON.stringify({ type: 'press', ...(seq !== undefined ? { seq } : {}) })];

async function alarmsOf(t: TestGateway, site: string): Promise<Alarm[]> {
  const res = await t.api(`/api/alarms?site=${site}`);
  return (await res.json()) as Alarm[];
}

describe('a gateway on PostgreSQL', () => {
  let t: TestGateway | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
    await t?.close();
    t = undefined;
  });

  it('commits a press in PostgreSQL before PUBACK, forwards it to 110 once, shows it, and keeps it open across a restart without forwarding it again', async () => {
    const url = await server.freshDatabase('gw');
    t = await startGateway({ cluster: { databaseUrl: url } });
    expect(t.gw.store.kind).toBe('postgres');
    const sql = db(url);
    const button = await connectAs(t.mqttUrl, 'sch-01-btn-1');
    clients.push(button);
    await button.publishAsync(...press('sch-01', 'sch-01-btn-1', 1), { qos: 1 });
    // PUBACK is in: the alarm and its 110 entry are rows in PostgreSQL already.
    const rows = (await sql.query<{ id: string; state: string; version: number }>(`SELECT id, state, version FROM alarms WHERE device_id = 'sch-01-btn-1' AND type = 'panic'`)).rows;
    expect(rows.map((r) => r.state)).toStrictEqual(['active']);
    const id = rows[0]?.id as string;
    const outbox = (await sql.query<{ channel: string; kind: string; sequence: number }>('SELECT channel, kind, sequence FROM outbox WHERE alarm_id = $1', [id])).rows;
    expect(outbox).toStrictEqual([{ channel: 'alarm-centre-dc09', kind: 'alarm-report', sequence: expect.any(Number) }]);

    await t.centre.primary.waitForMessage((m) => m.account === '1001' && m.data.includes('PA'), 10_000);
    const acked = await eventually(async () => {
      const [a] = await alarmsOf(t as TestGateway, 'sch-01');
      return a?.timeline.some((e) => e.action === 'forward-acked') ? a : undefined;
    });
    expect([acked.id, acked.type, acked.state, acked.repeats]).toStrictEqual([id, 'panic', 'active', 0]);
    expect(acked.timeline.map((e) => e.action).filter((a) => a.startsWith('forward-'))).toStrictEqual(['forward-queued', 'forward-sent', 'forward-acked']);

    // Restart on the same database: the alarm is still open and is not sent to 110 again. A
    // second press after the restart, forwarded, shows the restarted forwarder has run.
    t = await t.restart();
    expect((await alarmsOf(t, 'sch-01')).map((a) => [a.id, a.state])).toStrictEqual([[id, 'active']]);
    const second = await connectAs(t.mqttUrl, 'sch-02-btn-1');
    clients.push(second);
    await second.publishAsync(...press('sch-02', 'sch-02-btn-1'), { qos: 1 });
    await t.centre.primary.waitForMessage((m) => m.account === '1002' && m.data.includes('PA'), 10_000);
    expect(t.centre.primary.messages({ account: '1001' }).filter((m) => m.data.includes('PA'))).toHaveLength(1);
    expect((await sql.query(`SELECT 1 FROM outbox WHERE alarm_id = $1 AND state = 'acked'`, [id])).rowCount).toBe(1);
    // The press repeated after the restart folds into the same alarm (the database decides).
    await second.publishAsync(...press('sch-02', 'sch-02-btn-1'), { qos: 1 });
    expect((await alarmsOf(t, 'sch-02')).map((a) => [a.type, a.repeats])).toStrictEqual([['panic', 1]]);
  });

  it('acknowledges no press while PostgreSQL is down; the devices send them again and each is delivered once when it is back', async () => {
    const url = await server.freshDatabase('outage');
    t = await startGateway({ cluster: { databaseUrl: url } });
    const gw = t;
    const schools = ['sch-03', 'sch-04', 'sch-05', 'sch-06', 'sch-07'];
    const buttons = await Promise.all(schools.map((s) => connectAs(gw.mqttUrl, `${s}-btn-1`, { reconnectPeriod: 200, connectTimeout: 2000 })));
    clients.push(...buttons);
    let closes = 0;
    for (const b of buttons) b.on('close', () => closes++);
    const port = (gw.gw.adapters.get('panel-dc09') as PanelDc09Adapter).port as number;
    const panel = new Dc09PanelSimulator({ host: '127.0.0.1', port, account: '1033', ackTimeoutMs: 1500 });
    await panel.start();
    try {
      await server.halt();
      const acked = new Set<number>();
      const publishes = buttons.map((b, i) => b.publishAsync(...press(schools[i] as string, `${schools[i]}-btn-1`, 1), { qos: 1 }).then(() => acked.add(i)));
      // Refused, and refused again when resent after each reconnect: never acknowledged meanwhile.
      await eventually(() => gw.gw.counters.get('store.unavailable') >= 3 * schools.length, { timeoutMs: 20_000 });
      expect(acked.size).toBe(0);
      expect(closes).toBeGreaterThanOrEqual(schools.length);
      expect(gw.gw.counters.get('mqtt.publish.uncommitted')).toBeGreaterThanOrEqual(3 * schools.length);
      // A DC-09 panel gets no ACK either (it will retry with the same sequence number).
      expect((await panel.panic(2)).reply).toBe('timeout');
      const health = await fetch(`${gw.baseUrl}/api/health`);
      expect([health.status, ((await health.json()) as { store: unknown }).store]).toStrictEqual([200, { kind: 'postgres', available: false }]);
      await server.start();
      await Promise.all(publishes);
      expect((await panel.retry()).reply).toBe('ack');
    } finally {
      await server.start();
      await panel.stop();
    }
    expect(((await (await fetch(`${gw.baseUrl}/api/health`)).json()) as { store: unknown }).store).toStrictEqual({ kind: 'postgres', available: true });
    // Every press delivered once: one alarm per school, no repeat, one report each at the centre.
    for (const s of [...schools, 'sch-33']) {
      const alarms = await eventually(async () => {
        const list = (await alarmsOf(gw, s)).filter((a) => a.type === 'panic');
        return list.length === 1 && list[0]?.timeline.some((e) => e.action === 'forward-acked') ? list : undefined;
      }, { timeoutMs: 20_000 });
      expect(alarms.map((a) => [a.siteId, a.repeats])).toStrictEqual([[s, 0]]);
      const account = `10${s.slice(4)}`;
      expect(gw.centre.primary.messages({ account }).filter((m) => m.data.includes('PA') || m.data.includes('120'))).toHaveLength(1);
    }
  });
});

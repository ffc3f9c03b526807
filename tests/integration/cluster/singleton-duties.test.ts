/**
 * Singleton duties under the lease (cluster design §2), two gateway nodes in this process on one
 * real PostgreSQL and one simulated 110 centre: exactly one node holds the lease and runs the
 * 110 link and the outbox pump; a press on the other node is committed there and reaches the
 * centre once through the holder (woken by NOTIFY outbox); the other node's board hears of it
 * (NOTIFY alarm_changed); when the holder leaves, the other node takes the duties and forwards;
 * a delivery recorded under a stale token is refused by the database.
 */
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { isGatewayError } from '../../../gateway/contract/errors.js';
import type { Alarm } from '../../../gateway/contract/types.js';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../../simulators/ephemeral-far-ends.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
let farEnds: EphemeralFarEnds;
beforeAll(async () => {
  server = await startTestPostgres();
  farEnds = await startEphemeralFarEnds();
});
afterAll(async () => {
  await farEnds?.stop();
  await server?.stop();
});

const press = (site: string, device: string): [string, string] => [`campus/v1/${site}/${device}/event`, JSON.stringify({ type: 'press' })];
interface ClusterAnswer {
  mode: string;
  self: string;
  lease: { holder?: string; token?: number; live: boolean };
  nodes: { id: string; pid: number; httpUrl?: string; mqttUrl?: string; roles: string[]; lease: { holder: boolean; token?: number }; lastSeen: number; clients: number; down: boolean; self: boolean }[];
}
const pressesAt = (account: string) => farEnds.primary.messages({ account }).filter((m) => m.data.includes('PA'));

describe('singleton duties in cluster mode', () => {
  const nodes: TestGateway[] = [];
  const clients: MqttClient[] = [];
  const pools: pg.Pool[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
    for (const n of nodes.splice(0)) await n.close();
    for (const p of pools.splice(0)) await p.end();
  });

  // Both nodes share the far ends; a node's close() must not stop them.
  const shared = (): EphemeralFarEnds => ({ ...farEnds, stop: async () => undefined });
  const node = async (url: string, id: string): Promise<TestGateway> => {
    const t = await startGateway({ cluster: { databaseUrl: url, nodeId: id, takeoverSeconds: 6 } }, { centre: shared() });
    nodes.push(t);
    return t;
  };

  it('runs the 110 link on the lease holder only, forwards a press made on the other node once, and moves the duties when the holder leaves', async () => {
    const url = await server.freshDatabase('duties');
    const a = await node(url, 'node-a');
    const b = await node(url, 'node-b');
    // One holder, and only it pumps the outbox and runs the singleton adapters.
    const holder = await eventually(() => [a, b].find((n) => n.gw.cluster?.duties.active()), { timeoutMs: 15_000 });
    const other = holder === a ? b : a;
    await eventually(() => holder.gw.forwarders[0]?.pumping);
    expect(other.gw.cluster?.duties.active()).toBe(false);
    expect(other.gw.forwarders.map((f) => f.pumping)).toStrictEqual([false]);
    const duties = ['alarm-centre-dc09', 'alarm-centre-dc09-outbox', 'outbox-poll', 'sms-smpp', 'barrier-modbus', 'camera-onvif', 'broadcasts', 'link-tests', 'sweep-schedules', 'health-alarms', 'node-watch'];
    // In this order (§2 of the cluster design: the 110 link and its pump first).
    const running = await eventually(() => {
      const r = holder.gw.cluster?.duties.running() ?? [];
      return duties.every((d) => r.includes(d)) ? r : undefined;
    }, { timeoutMs: 15_000 });
    expect(running.filter((d) => duties.includes(d))).toStrictEqual(duties);

    // GET /api/cluster on either node: both nodes, the holder named, its lease and token.
    const view = (await (await other.api('/api/cluster')).json()) as ClusterAnswer;
    const token = holder.gw.cluster?.lease.currentToken();
    expect(view.mode).toBe('cluster');
    expect(view.self).toBe(other.gw.cluster?.nodeId);
    expect([view.lease.holder, view.lease.token, view.lease.live]).toStrictEqual([holder.gw.cluster?.nodeId, token, true]);
    expect(view.nodes.map((n) => [n.id, n.pid, n.lease.holder, n.roles.includes('alarm-centre-dc09'), n.down, n.self])).toStrictEqual(
      [a, b].map((n) => [n.gw.cluster?.nodeId, process.pid, n === holder, n === holder, false, n === other]),
    );
    const mine = view.nodes.find((n) => n.id === other.gw.cluster?.nodeId);
    expect([mine?.httpUrl, mine?.mqttUrl, typeof mine?.lastSeen, typeof mine?.clients]).toStrictEqual([other.baseUrl, other.mqttUrl, 'number', 'number']);
    expect(view.nodes.find((n) => n.lease.holder)?.lease.token).toBe(token);
    // A login on one node is valid on the other (one session token key in PostgreSQL).
    const session = await a.login('duty');
    expect((await fetch(`${b.baseUrl}/api/cluster`, { headers: { authorization: `Bearer ${session}` } })).status).toBe(200);

    // A press on the node that does not hold the link: committed there, sent by the holder.
    const button = await connectAs(other.mqttUrl, 'sch-01-btn-1');
    clients.push(button);
    await button.publishAsync(...press('sch-01', 'sch-01-btn-1'), { qos: 1 });
    await farEnds.primary.waitForMessage((m) => m.account === '1001' && m.data.includes('PA'), 15_000);
    const acked = await eventually(async () => {
      const list = (await (await other.api('/api/alarms?site=sch-01')).json()) as Alarm[];
      return list[0]?.timeline.some((e) => e.action === 'forward-acked') ? list : undefined;
    }, { timeoutMs: 15_000 });
    expect(acked.map((x) => [x.type, x.repeats])).toStrictEqual([['panic', 0]]);
    // The holder's board heard of it too (NOTIFY alarm_changed, re-read there).
    await eventually(() => holder.gw.alarms.openAlarms().find((x) => x.id === acked[0]?.id));
    expect(pressesAt('1001')).toHaveLength(1);

    // A delivery recorded under a token that is no longer current is refused by the database.
    const stale = holder.gw.cluster?.lease.currentToken() as number;
    const sql = new pg.Pool({ connectionString: url, max: 1 });
    sql.on('error', () => undefined); // an idle connection ended by the server is not an uncaught exception
    pools.push(sql);
    const entry = (await sql.query<{ id: string }>(`SELECT id FROM outbox WHERE alarm_id = $1`, [acked[0]?.id])).rows[0]?.id as string;
    await sql.query(`UPDATE leases SET token = token + 1 WHERE name = 'singleton'`);
    const fenced = holder.gw.store.outbox.fenced?.({ lease: 'singleton', token: stale });
    const refused = await fenced?.markFailed(entry, Date.now(), 'late').then(() => undefined, (err: unknown) => err);
    expect(isGatewayError(refused, 'GW_ERR_LEASE_LOST')).toBe(true);
    expect((await sql.query(`SELECT state, last_error FROM outbox WHERE id = $1`, [entry])).rows).toStrictEqual([{ state: 'acked', last_error: null }]);
    // The holder's next renewal is refused (its token is gone): it stops its duties at once.
    await eventually(() => holder.gw.cluster?.duties.active() === false && holder.gw.forwarders[0]?.pumping === false, { timeoutMs: 15_000 });

    // Someone holds it again within the takeover bound; the holder leaves cleanly and the survivor forwards.
    await eventually(() => [a, b].some((n) => n.gw.cluster?.duties.active()), { timeoutMs: 15_000 });
    await holder.close();
    nodes.splice(nodes.indexOf(holder), 1);
    await eventually(() => other.gw.cluster?.duties.active() && other.gw.forwarders[0]?.pumping, { timeoutMs: 15_000 });
    const second = await connectAs(other.mqttUrl, 'sch-02-btn-1');
    clients.push(second);
    await second.publishAsync(...press('sch-02', 'sch-02-btn-1'), { qos: 1 });
    await farEnds.primary.waitForMessage((m) => m.account === '1002' && m.data.includes('PA'), 15_000);
    expect(pressesAt('1001')).toHaveLength(1);
    expect(pressesAt('1002')).toHaveLength(1);
  });

  it("pushes another node's alarm changes on /api/live, each version once", async () => {
    const url = await server.freshDatabase('live');
    const a = await node(url, 'live-a');
    const b = await node(url, 'live-b');
    const ws = new WebSocket(`ws://127.0.0.1:${b.httpPort}/api/live`, { headers: { authorization: `Bearer ${await b.login('duty')}` } });
    const seen: { change: string; alarm: Alarm }[] = [];
    const later: Alarm[] = [];
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; change?: string; alarm?: Alarm };
      if (msg.type === 'alarm' && msg.alarm?.deviceId === 'sch-03-btn-1') seen.push({ change: msg.change ?? '', alarm: msg.alarm });
      if (msg.type === 'alarm' && msg.alarm?.deviceId === 'sch-04-btn-1') later.push(msg.alarm);
    });
    try {
      await new Promise((r) => ws.once('open', r));
      // Pressed on node A: node B's socket hears it (NOTIFY alarm_changed, re-read on B).
      const button = await connectAs(a.mqttUrl, 'sch-03-btn-1');
      clients.push(button);
      await button.publishAsync(...press('sch-03', 'sch-03-btn-1'), { qos: 1 });
      const first = await eventually(() => seen.find((m) => m.alarm.type === 'panic'), { timeoutMs: 15_000 });
      expect([first.change, first.alarm.state]).toStrictEqual(['refreshed', 'active']);
      // Acknowledged on node A: B pushes the acknowledged alarm.
      const ack = await a.api(`/api/alarms/${first.alarm.id}/ack`, { method: 'POST', as: 'duty', body: JSON.stringify({ note: 'on my way' }) });
      expect(ack.status).toBe(200);
      await eventually(() => seen.find((m) => m.alarm.state === 'acknowledged'), { timeoutMs: 15_000 });
      // Each version at most once (the timeline only grows: no two pushes with the same timeline length).
      const lengths = seen.map((m) => m.alarm.timeline.length);
      expect(new Set(lengths).size).toBe(lengths.length);
      // Changes made on B itself are not pushed a second time when their notification comes back.
      const resolved = await b.api(`/api/alarms/${first.alarm.id}/resolve`, { method: 'POST', as: 'duty', body: JSON.stringify({}) });
      expect(resolved.status).toBe(200);
      await eventually(() => a.gw.alarms.openAlarms().every((x) => x.id !== first.alarm.id), { timeoutMs: 15_000 });
      // A later change from A reaching B means B has heard its own resolve's notification before it (commit order).
      const other = await connectAs(a.mqttUrl, 'sch-04-btn-1');
      clients.push(other);
      await other.publishAsync(...press('sch-04', 'sch-04-btn-1'), { qos: 1 });
      await eventually(() => later.length > 0, { timeoutMs: 15_000 });
      expect(seen.filter((m) => m.alarm.state === 'resolved').map((m) => m.change)).toStrictEqual(['resolved']);
    } finally {
      ws.close();
    }
  });
});

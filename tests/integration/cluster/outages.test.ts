/**
 * Outages with the real engines (issue 17, "Tests"), on one cluster shared by both cases: two
 * gateway node processes behind HAProxy on one PostgreSQL and one Redis, the 110 centre
 * simulated in this process. (Redis stopped for 20 s and the 110 link holder killed are in
 * failover.test.ts.)
 *
 * - PostgreSQL stopped for 20 s: presses made on both nodes meanwhile get no PUBACK (the devices
 *   keep sending them), are acknowledged and delivered after it returns, each exactly once at
 *   the centre, none lost;
 * - the node that does NOT hold the 110 link is killed (SIGKILL): its devices, connected through
 *   HAProxy, reconnect through it within 2 × keepalive, and the survivor (the lease holder, which
 *   raises the health alarms) never shows them offline for longer than that: no device-offline
 *   alarm (health.offlineAlarmAfter is 2 × keepalive here, so a longer false outage raises one).
 *   The dead node's stored wills are published by the survivor once it finds the node dead
 *   (cluster.mqttHeartbeatSeconds, 2 s here: 2–7 heartbeats after the kill): a device that did not come back
 *   is reported offline that way (its will delay is printed); the devices that came back must
 *   not get their old will (the regression: aedes published it minutes later, a false outage).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Alarm, Health } from '../../../gateway/contract/types.js';
import { mergeLayers } from '../../../gateway/config/load.js';
import type { RecordedMessage } from '../../../simulators/alarm-centre/alarm-centre-simulator.js';
import { districtWithSchools, startTestCluster, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { connectAs, eventually } from '../../helpers/gateway.js';

const KEEPALIVE_S = 10;
/** The bound for the devices of a dead node: back through the balancer, and never shown offline longer. */
const OUTAGE_BOUND_MS = 2 * KEEPALIVE_S * 1000;
const MQTT_HEARTBEAT_S = 2;

const school = (i: number) => `sch-${String(i).padStart(2, '0')}`;
const device = (i: number) => `${school(i)}-btn-1`;
const account = (i: number) => `10${String(i).padStart(2, '0')}`;
const statusTopic = (i: number) => `campus/v1/${school(i)}/${device(i)}/status`;

let cluster: TestCluster;
const clients: MqttClient[] = [];
let token: string;

beforeAll(async () => {
  const site = mergeLayers(districtWithSchools(50), {
    // A false outage of a button longer than 2 × keepalive raises device-offline; its silence alone never does here.
    health: { offlineAlarmAfter: OUTAGE_BOUND_MS / 1000, heartbeatTimeout: { 'alarm-button': 900 } },
    cluster: { mqttHeartbeatSeconds: MQTT_HEARTBEAT_S },
  }) as Record<string, unknown>;
  cluster = await startTestCluster({ nodes: 2, takeoverSeconds: 10, siteLayer: site });
  const res = await fetch(`${cluster.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'duty', password: 'demo-pass-duty' }) });
  token = ((await res.json()) as { token: string }).token;
}, 400_000);

afterAll(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
  await cluster?.stop();
}, 120_000);

function reportsOf(acct: string): RecordedMessage[] {
  return [cluster.farEnds.primary, cluster.farEnds.secondary].flatMap((r) => r.messages({ account: acct })).filter((m) => m.data.includes('PA'));
}

async function board(httpUrl: string): Promise<Alarm[]> {
  const res = await fetch(`${httpUrl}/api/alarms?state=open&limit=500`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Alarm[];
}

/** A button as the simulated ones behave: will `offline` (retained), `online` published on connecting (and, with `announce`, on every reconnect). */
async function button(url: string, i: number, reconnect: boolean, announce = reconnect): Promise<MqttClient> {
  const c = await connectAs(url, device(i), {
    keepalive: KEEPALIVE_S,
    reconnectPeriod: reconnect ? 1000 : 0,
    connectTimeout: 5000,
    will: { topic: statusTopic(i), payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  c.on('error', () => undefined);
  if (announce) c.on('connect', () => void c.publishAsync(statusTopic(i), 'online', { qos: 1, retain: true }).catch(() => undefined));
  await c.publishAsync(statusTopic(i), 'online', { qos: 1, retain: true });
  clients.push(c);
  return c;
}

const mqttUrlOf = (n: ClusterNodeHandle) => `mqtt://127.0.0.1:${n.ports.mqtt}`;

describe('outages of a cluster of two nodes behind HAProxy', () => {
  it('PostgreSQL stopped for 20 s: presses on both nodes are not acknowledged meanwhile, then delivered once each, none lost', async () => {
    await eventually(() => cluster.holder(), { timeoutMs: 60_000 });
    const schools = [34, 35, 36, 37, 38, 39];
    // Half on each node, directly, so both nodes take presses during the outage.
    const buttons = await Promise.all(schools.map((i, k) => button(mqttUrlOf(cluster.nodes[k % 2] as ClusterNodeHandle), i, true, false)));
    await cluster.postgres.halt();
    const haltedAt = Date.now();
    const pubacks: number[] = [];
    let acked: Promise<unknown>;
    try {
      acked = Promise.all(buttons.map((b, k) => b.publishAsync(`campus/v1/${school(schools[k] as number)}/${device(schools[k] as number)}/event`, JSON.stringify({ type: 'press' }), { qos: 1 }).then(() => pubacks.push(Date.now()))));
      acked.catch(() => undefined);
      // The outage lasts its full 20 s (the scenario's length, not a wait for an event).
      await sleep(Math.max(0, 20_000 - (Date.now() - haltedAt)));
      // Nothing acknowledged while nothing could be kept.
      expect(pubacks).toStrictEqual([]);
    } finally {
      await cluster.postgres.start();
    }
    const resumedAt = Date.now();
    // The devices sent them again (the node closes a connection whose publish it could not keep) and are acknowledged now.
    await acked;
    expect(pubacks).toHaveLength(schools.length);
    // PostgreSQL's start() resolves once it answers: every PUBACK came after the outage.
    expect(pubacks.every((t) => t >= haltedAt + 20_000)).toBe(true);
    await eventually(() => schools.every((i) => reportsOf(account(i)).length > 0), { timeoutMs: 120_000, everyMs: 200 });
    // A repeat would come from a late retry: wait until the outbox holds nothing queued any more.
    const sql = new pg.Pool({ connectionString: cluster.databaseUrl, max: 1 });
    try {
      await eventually(async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'queued'`)).rows[0]?.n === 0, { timeoutMs: 60_000, everyMs: 200 });
    } finally {
      await sql.end();
    }
    expect(schools.map((i) => [account(i), reportsOf(account(i)).length])).toStrictEqual(schools.map((i) => [account(i), 1]));
    // Each press is one alarm on the board (the database refuses a second open one).
    const panics = (await board(cluster.httpUrl)).filter((a) => a.type === 'panic' && schools.some((i) => a.siteId === school(i)));
    expect(panics.map((a) => a.siteId).sort()).toStrictEqual(schools.map(school).sort());
    process.stdout.write(`postgres outage: ${schools.length} presses PUBACKed ${Math.min(...pubacks) - resumedAt}–${Math.max(...pubacks) - resumedAt} ms after PostgreSQL answered again\n`);
    for (const b of buttons) await b.endAsync(true).catch(() => undefined);
  }, 300_000);

  it('SIGKILL of the node without the 110 link: its devices reconnect through HAProxy within 2 × keepalive, with no false outage on the survivor', async () => {
    const holderId = await eventually(() => cluster.holder(), { timeoutMs: 60_000 });
    const survivor = cluster.nodes.find((n) => n.id === holderId) as ClusterNodeHandle;
    const victim = cluster.nodes.find((n) => n.id !== holderId) as ClusterNodeHandle;
    expect([survivor, victim].every(Boolean)).toBe(true);

    // The survivor's own view of the devices' health, as its board shows it.
    const watched = [40, 41, 42, 43, 44, 45];
    const control = 46; // on the victim, never comes back: its will must come
    const ids = new Set([...watched, control].map(device));
    const history = new Map<string, { at: number; status: string }[]>();
    const ws = new WebSocket(`ws://127.0.0.1:${survivor.ports.http}/api/live`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string; health?: Health | Health[] };
      const rows = msg.type === 'snapshot' ? (msg.health as Health[]) : msg.type === 'health' ? [msg.health as Health] : [];
      for (const h of rows) if (ids.has(h.deviceId)) history.set(h.deviceId, [...(history.get(h.deviceId) ?? []), { at: Date.now(), status: h.status }]);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    try {
      // Through the balancer (leastconn: they spread over both nodes), and one straight onto the victim.
      const buttons = new Map<number, MqttClient>();
      for (const i of watched) buttons.set(i, await button(cluster.mqttUrl, i, true));
      await button(mqttUrlOf(victim), control, false);
      // The survivor hears every one of them (the victim's through Redis) as online.
      const heard = (id: string) => !['unknown', 'offline', undefined].includes(history.get(id)?.at(-1)?.status);
      await eventually(() => [...ids].every(heard), { timeoutMs: 30_000 });

      const closedAt = new Map<number, number>();
      const backAt = new Map<number, number>();
      for (const [i, c] of buttons) {
        c.on('close', () => {
          if (!closedAt.has(i)) closedAt.set(i, Date.now());
        });
        c.on('connect', () => {
          if (closedAt.has(i) && !backAt.has(i)) backAt.set(i, Date.now());
        });
      }
      const killedAt = Date.now();
      await cluster.kill(victim.id);
      // The devices the victim held lose their connection (HAProxy closes it) and come back
      // through HAProxy, on the survivor; every device is connected again.
      await eventually(() => closedAt.size > 0 && [...closedAt.keys()].every((i) => backAt.has(i)) && [...buttons.values()].every((c) => c.connected), { timeoutMs: 90_000, everyMs: 50 });
      const onVictim = [...closedAt.keys()];
      const back = onVictim.map((i) => [i, (backAt.get(i) as number) - killedAt] as const);
      process.stdout.write(`non-holder kill: ${onVictim.length}/${watched.length} devices were on ${victim.id}; back through HAProxy after ${back.map(([, ms]) => ms).join(', ')} ms (bound ${OUTAGE_BOUND_MS} ms)\n`);
      for (const [, ms] of back) expect(ms).toBeLessThanOrEqual(OUTAGE_BOUND_MS);

      // The device that did not come back is reported by its will, once the survivor finds the victim dead.
      const controlOffline = await eventually(() => history.get(device(control))?.find((h) => h.status === 'offline' && h.at >= killedAt), { timeoutMs: 90_000, everyMs: 100 });
      process.stdout.write(`will of a device of the killed node on the survivor ${controlOffline.at - killedAt} ms after SIGKILL (cluster.mqttHeartbeatSeconds ${MQTT_HEARTBEAT_S}: 2–7 heartbeats)\n`);
      // Its device-offline alarm follows after offlineAlarmAfter; by then a false outage of the others as long would have raised theirs (their old wills were in the same sweep).
      const survivorUrl = `http://127.0.0.1:${survivor.ports.http}`;
      const offline = await eventually(async () => {
        const list = (await board(survivorUrl)).filter((a) => a.type === 'device-offline');
        return list.some((a) => a.deviceId === device(control)) ? list : undefined;
      }, { timeoutMs: 90_000, everyMs: 250 });
      // On failure (seen once in a full run, 3 of the watched devices besides the control), say
      // when each alarm was raised and what the survivor's board showed for its device.
      const ours = offline.filter((a) => ids.has(a.deviceId as string));
      const story = ours.map((a) => ({
        device: a.deviceId,
        raisedAfterKillMs: a.raisedAt - killedAt,
        onVictim: onVictim.some((i) => device(i) === a.deviceId),
        health: (history.get(a.deviceId as string) ?? []).map((h) => `${h.status}@${h.at - killedAt}`).join(' '),
      }));
      expect(ours.map((a) => a.deviceId), JSON.stringify(story)).toStrictEqual([device(control)]);

      // And the survivor's health never showed a watched device offline longer than the bound (nor at all, here).
      const now = Date.now();
      const longest = (id: string): number => {
        const rows = history.get(id) ?? [];
        let worst = 0;
        rows.forEach((r, k) => {
          if (r.status === 'offline') worst = Math.max(worst, (rows[k + 1]?.at ?? now) - r.at);
        });
        return worst;
      };
      expect(watched.map((i) => [device(i), longest(device(i))])).toStrictEqual(watched.map((i) => [device(i), 0]));
      expect(watched.every((i) => heard(device(i)))).toBe(true);
      expect(watched.every((i) => buttons.get(i)?.connected)).toBe(true);
    } finally {
      ws.close();
    }
  }, 300_000);
});

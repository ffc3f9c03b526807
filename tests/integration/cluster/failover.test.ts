/**
 * Failover with the real engines (issue 17, "Tests"): two gateway node processes behind
 * HAProxy on one PostgreSQL and one Redis, the 110 centre simulated in this process.
 *
 * - a press through the balancer reaches the 110 centre once;
 * - Redis stopped for 20 s: presses through both nodes still reach 110 (Redis is not on the
 *   alarm path), each once;
 * - the node holding the 110 link is killed (SIGKILL) during a burst of 50 presses from 50
 *   schools while the centre is slow: every press reaches the centre exactly once (the
 *   receiver drops a repeated sequence number only for a frame whose ACK the dead node never
 *   recorded), the survivor's board lists each alarm once, and the survivor's first delivery
 *   comes within the lease's takeover bound (cluster.takeoverSeconds: the lease lives 2/3 of it
 *   past the last renewal and contenders retry every 1/6; the bound asserted adds a generous
 *   allowance for a loaded machine: it is a property of the lease, not a speed target).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import type { RecordedMessage } from '../../../simulators/alarm-centre/alarm-centre-simulator.js';
import { districtWithSchools, startTestCluster, type TestCluster } from '../../helpers/cluster.js';
import { connectAs, eventually } from '../../helpers/gateway.js';

const TAKEOVER_SECONDS = 10;
const CENTRE_DELAY_MS = 400;
/** The lease's own bound (5/6 of takeoverSeconds, see lease.ts) is inside this; the rest is allowance for duties starting, the link connecting and a loaded machine. */
const TAKEOVER_BOUND_MS = TAKEOVER_SECONDS * 1000 + 15_000;

const school = (i: number) => `sch-${String(i).padStart(2, '0')}`;
const account = (i: number) => `10${String(i).padStart(2, '0')}`;
const press = (i: number): [string, string] => [`campus/v1/${school(i)}/${school(i)}-btn-1/event`, JSON.stringify({ type: 'press' })];

let cluster: TestCluster;
const clients: MqttClient[] = [];
let token: string;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2, takeoverSeconds: TAKEOVER_SECONDS, siteLayer: districtWithSchools(56) });
  const res = await fetch(`${cluster.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'duty', password: 'demo-pass-duty' }) });
  token = ((await res.json()) as { token: string }).token;
}, 400_000);

afterAll(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
  await cluster?.stop();
}, 120_000);

/** Every PA (panic) report the centre's receivers accepted for an account. */
function reportsOf(acct: string): RecordedMessage[] {
  return [cluster.farEnds.primary, cluster.farEnds.secondary].flatMap((r) => r.messages({ account: acct })).filter((m) => m.data.includes('PA'));
}

async function board(state = 'open'): Promise<Alarm[]> {
  const res = await fetch(`${cluster.httpUrl}/api/alarms?state=${state}&limit=500`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Alarm[];
}

async function button(i: number): Promise<MqttClient> {
  const c = await connectAs(cluster.mqttUrl, `${school(i)}-btn-1`, { reconnectPeriod: 300, connectTimeout: 5000, keepalive: 10 });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

describe('two gateway nodes behind HAProxy', () => {
  it('forwards a press made through the balancer to the 110 centre once', async () => {
    const holder = await eventually(() => cluster.holder(), { timeoutMs: 60_000 });
    expect(cluster.nodes.map((n) => n.id)).toContain(holder);
    const b = await button(1);
    await b.publishAsync(...press(1), { qos: 1 });
    await cluster.farEnds.primary.waitForMessage((m) => m.account === account(1) && m.data.includes('PA'), 30_000);
    const alarm = await eventually(async () => (await board()).find((a) => a.siteId === school(1) && a.timeline.some((e) => e.action === 'forward-acked')), { timeoutMs: 30_000 });
    expect([alarm.type, alarm.repeats]).toStrictEqual(['panic', 0]);
    expect(reportsOf(account(1))).toHaveLength(1);
  }, 120_000);

  it('still forwards presses to 110 while Redis is stopped for 20 s', async () => {
    const schools = [52, 53, 54, 55, 56];
    // Connected before the outage (a new CONNECT needs Redis: the session lives there).
    const buttons = await Promise.all(schools.map((i) => button(i)));
    await cluster.redis.halt();
    const haltedAt = Date.now();
    try {
      await Promise.all(buttons.map((b, k) => b.publishAsync(...press(schools[k] as number), { qos: 1 })));
      for (const i of schools) await cluster.farEnds.primary.waitForMessage((m) => m.account === account(i) && m.data.includes('PA'), 30_000);
      // The outage lasts its full 20 s (the scenario's length, not a wait for an event).
      await sleep(Math.max(0, 20_000 - (Date.now() - haltedAt)));
      // Both nodes still answer through the balancer, Redis still down.
      expect(Object.values(await cluster.haproxy.serverStates()).every((s) => s === 'UP')).toBe(true);
    } finally {
      await cluster.redis.start();
    }
    for (const i of schools) expect(reportsOf(account(i))).toHaveLength(1);
  }, 180_000);

  it('delivers all of 50 presses exactly once when the 110 link holder is killed mid-burst with a slow centre, and the survivor takes over within the bound', async () => {
    const burst = Array.from({ length: 50 }, (_, k) => k + 2); // sch-02 … sch-51
    const buttons = await Promise.all(burst.map((i) => button(i)));
    const holder = await eventually(() => cluster.holder(), { timeoutMs: 30_000 });
    const survivor = cluster.nodes.find((n) => n.id !== holder);
    expect(survivor).toBeDefined();
    await cluster.farEnds.primary.setMode('delay', CENTRE_DELAY_MS);
    const acked = Promise.all(buttons.map((b, k) => b.publishAsync(...press(burst[k] as number), { qos: 1 })));
    // A few reports are through (the holder is sending): kill it.
    await eventually(() => burst.filter((i) => reportsOf(account(i)).length > 0).length >= 5, { timeoutMs: 60_000 });
    const oldRemotes = new Set(cluster.farEnds.primary.messages().map((m) => m.remote).concat(cluster.farEnds.secondary.messages().map((m) => m.remote)));
    const killedAt = Date.now();
    await cluster.kill(holder as string);
    const deliveredBeforeKill = burst.filter((i) => reportsOf(account(i)).length > 0).length;

    // Every press is acknowledged (the devices on the dead node reconnect through HAProxy and resend).
    await acked;
    // Every school's report reaches the centre, each exactly once.
    await eventually(() => burst.every((i) => reportsOf(account(i)).length > 0), { timeoutMs: 180_000, everyMs: 200 });
    // A repeat would come from a late retry: wait until the outbox holds nothing queued any more.
    const sql = new pg.Pool({ connectionString: cluster.databaseUrl, max: 1 });
    try {
      await eventually(async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'queued'`)).rows[0]?.n === 0, { timeoutMs: 60_000, everyMs: 200 });
    } finally {
      await sql.end();
    }
    expect(burst.map((i) => [account(i), reportsOf(account(i)).length])).toStrictEqual(burst.map((i) => [account(i), 1]));

    // The survivor holds the link, and its first delivery came within the takeover bound.
    expect(await eventually(() => cluster.holder(), { timeoutMs: 30_000 })).toBe(survivor?.id);
    const firstNew = [cluster.farEnds.primary, cluster.farEnds.secondary]
      .flatMap((r) => r.messages())
      // The dead node's connections are excluded: a frame it sent just before the kill may be stored after it.
      .filter((m) => !oldRemotes.has(m.remote) && m.receivedAt >= killedAt)
      .sort((x, y) => x.receivedAt - y.receivedAt)[0];
    expect(firstNew).toBeDefined();
    const takeoverMs = (firstNew?.receivedAt ?? Infinity) - killedAt + CENTRE_DELAY_MS;
    process.stdout.write(`failover: ${deliveredBeforeKill}/50 delivered before the kill; first 110 ACK from the new holder ${takeoverMs} ms after SIGKILL (takeoverSeconds ${TAKEOVER_SECONDS})\n`);
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);

    // The surviving node's board lists each alarm once.
    const open = (await board()).filter((a) => a.type === 'panic' && burst.some((i) => a.siteId === school(i)));
    expect(open.map((a) => a.siteId).sort()).toStrictEqual(burst.map(school).sort());
    await cluster.farEnds.primary.setMode('normal');

    // The new holder reports the dead node: one node-down alarm for it, at the police site.
    const down = await eventually(async () => {
      const list = (await board()).filter((a) => a.type === 'node-down');
      return list.length > 0 ? list : undefined;
    }, { timeoutMs: 60_000, everyMs: 500 });
    expect(down.map((a) => [a.deviceId, a.siteId, a.state])).toStrictEqual([[holder, 'psb-chengdong', 'active']]);
  }, 400_000);
});

/**
 * What only the PostgreSQL store does, against a real server: the notifications other nodes
 * will listen to (sent with the commit, never before), and an unreachable or silent database
 * answered quickly with GW_ERR_STORE_UNAVAILABLE, logged once per outage, and recovered from.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import { forwardQueuedEntry } from '../../../gateway/core/alarms/outbox.js';
import { PgDatabase } from '../../../gateway/store/pg/database.js';
import { openPgStateStore, type PgStateStore } from '../../../gateway/store/pg/state-store.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
const stores: PgStateStore[] = [];
const clients: pg.Client[] = [];
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  for (const c of clients) await c.end().catch(() => undefined);
  await server?.stop();
});

const T = Date.UTC(2026, 10, 23);
const alarm = (siteId: string): Alarm => ({
  id: randomUUID(), type: 'panic', severity: 'critical', siteId, deviceId: `${siteId}-btn-1`, state: 'active', raisedAt: T, updatedAt: T, repeats: 0, drill: false, summary: 's',
  timeline: [{ at: T, action: 'raised', by: 'b' }],
});

async function listener(url: string, channels: string[]): Promise<{ seen: { channel: string; payload: string }[]; next(n: number): Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  clients.push(c);
  await c.connect();
  const seen: { channel: string; payload: string }[] = [];
  const waiters: (() => void)[] = [];
  c.on('notification', (m) => {
    seen.push({ channel: m.channel, payload: m.payload ?? '' });
    for (const w of waiters.splice(0)) w();
  });
  for (const ch of channels) await c.query(`LISTEN ${ch}`);
  return {
    seen,
    async next(n) {
      const deadline = Date.now() + 5000;
      while (seen.length < n) {
        if (Date.now() > deadline) throw new Error(`${seen.length} of ${n} notifications`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

describe('PostgreSQL state store', () => {
  it("sends NOTIFY alarm_changed '<id>:<version>' for every committed alarm change and NOTIFY outbox '<channel>' for every entry, with the commit", async () => {
    const url = await server.freshDatabase('notify');
    const store = await openPgStateStore({ url });
    stores.push(store);
    const l = await listener(url, ['alarm_changed', 'outbox']);
    const a = alarm('s1');
    const request = { id: randomUUID(), channel: 'alarm-centre-dc09', kind: 'alarm-report' as const, alarmId: a.id, siteId: 's1', createdAt: T };
    await store.raiseAlarm(a, { outbox: [request], complete: (x, q) => ({ ...x, timeline: [...x.timeline, ...q.map((e) => ({ at: T, ...forwardQueuedEntry(e) }))] }) });
    await store.raiseAlarm(alarm('s1'));
    await store.updateAlarm(a.id, (x) => ({ ...x, state: 'acknowledged', timeline: [...x.timeline, { at: T + 1, action: 'acknowledged', by: 'duty' }] }));
    // A change that changes nothing, and a refused one, notify nobody.
    await store.updateAlarm(a.id, () => undefined);
    await store.outbox.enqueue({ id: randomUUID(), channel: 'alarm-centre-dc09', kind: 'test-report', deviceId: 'b', siteId: 's1', createdAt: T });
    await l.next(5);
    expect(l.seen).toStrictEqual([
      { channel: 'alarm_changed', payload: `${a.id}:0` },
      { channel: 'outbox', payload: 'alarm-centre-dc09' },
      { channel: 'alarm_changed', payload: `${a.id}:1` },
      { channel: 'alarm_changed', payload: `${a.id}:2` },
      { channel: 'outbox', payload: 'alarm-centre-dc09' },
    ]);
    // Rolled back (a duplicate id): nothing is announced.
    await expect(store.raiseAlarm({ ...alarm('s2'), id: a.id })).rejects.toThrow();
    await store.raiseAlarm(alarm('s3'));
    await l.next(6);
    expect(l.seen.slice(5).map((m) => m.channel)).toStrictEqual(['alarm_changed']);
  });

  it('answers GW_ERR_STORE_UNAVAILABLE within seconds while the server is down, logs the outage once, and works again when it is back', async () => {
    const url = await server.freshDatabase('outage');
    const lines: { msg?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg?: string }) });
    const store = await openPgStateStore({ url, log, connectTimeoutMs: 1000 });
    stores.push(store);
    const a = alarm('s1');
    await store.raiseAlarm(a);
    expect(store.available()).toBe(true);
    await server.halt();
    try {
      for (const op of [() => store.raiseAlarm(alarm('s2')), () => store.getAlarm(a.id), () => store.audit({ at: T, actor: 'x', action: 'y', target: 'z', detail: {} }), () => store.outbox.pending('c')]) {
        const t0 = Date.now();
        await expect(op()).rejects.toMatchObject({ code: 'GW_ERR_STORE_UNAVAILABLE', statusCode: 503 });
        expect(Date.now() - t0).toBeLessThan(3000);
      }
      expect(store.available()).toBe(false);
    } finally {
      await server.start();
    }
    expect((await store.raiseAlarm(alarm('s1'))).created).toBe(false);
    expect(store.available()).toBe(true);
    expect(lines.filter((l) => l.msg?.startsWith('state database unreachable'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'state database reachable again')).toHaveLength(1);
  });

  it('fails a transaction whose connection the server ends between two statements, without ending the process', async () => {
    const url = await server.freshDatabase('terminated');
    const db = new PgDatabase({ url });
    const admin = new pg.Client({ connectionString: url });
    admin.on('error', () => undefined);
    clients.push(admin);
    await admin.connect();
    try {
      // Idle in the transaction when an administrator (or a restart) ends its backend: pg emits
      // 'error' on the checked-out connection, which no pool listener hears while checked out.
      const ended = db.tx(async (c) => {
        const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        await new Promise((r) => setTimeout(r, 300));
        return c.query('SELECT 1');
      });
      await expect(ended).rejects.toThrow();
      // The pool goes on with a fresh connection.
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toStrictEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('gives up on a statement the server does not finish in time (statement_timeout): unavailable, not hung', async () => {
    const url = await server.freshDatabase('slow');
    const store = await openPgStateStore({ url, statementTimeoutMs: 300 });
    stores.push(store);
    const t0 = Date.now();
    await expect(store.db.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: 'GW_ERR_STORE_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await store.raiseAlarm(alarm('s1'))).created).toBe(true);
  });
});

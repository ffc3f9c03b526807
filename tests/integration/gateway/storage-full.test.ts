/**
 * Storage full (issue 18): the state database reaches its size limit (SQLite max_page_count on
 * the gateway's own connection, filled to the last page: SQLITE_FULL, as a full disk answers).
 * A press is then refused (no PUBACK: the device sends it again), a critical `storage-full` alarm
 * reaches the board although it cannot be written, the 110 link still delivers the reports it
 * held, and when space returns the alarm is committed and writes (presses) go through again.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import type { SqliteStateStore } from '../../../gateway/store/sqlite/state-store.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const press = (site: string, dev: string) => [`campus/v1/${site}/${dev}/event`, JSON.stringify({ type: 'press', seq: 1 })] as const;

/** Caps the file at its current size and fills what is left, down to the smallest free slot. */
function fillDisk(store: SqliteStateStore): void {
  const db = store.db;
  db.exec('CREATE TABLE IF NOT EXISTS filler (b BLOB)');
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
  const add = db.prepare('INSERT INTO filler (b) VALUES (zeroblob(?))');
  for (const size of [4000, 1000, 250, 60, 1]) {
    for (;;) {
      try {
        add.run(size);
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_FULL') throw err;
        break;
      }
    }
  }
}

describe('storage full', () => {
  let t: TestGateway;
  let ws: WebSocket;
  const live: { type: string; alarm?: Alarm; change?: string }[] = [];
  beforeAll(async () => {
    t = await startGateway();
    ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}/api/live`, { headers: { authorization: `Bearer ${await t.login('duty')}` } });
    ws.on('message', (raw) => live.push(JSON.parse(String(raw)) as { type: string; alarm?: Alarm; change?: string }));
    await new Promise((r) => ws.once('open', r));
  });
  afterAll(async () => {
    ws.close();
    await t.close();
  });

  it('refuses presses, puts storage-full on the board, keeps forwarding what it holds, and resumes when space returns', { timeout: 120_000 }, async () => {
    const store = t.gw.store as SqliteStateStore;
    // Two presses committed while the 110 centre is unreachable: their reports wait in the outbox.
    await Promise.all([t.centre.primary.setMode('down'), t.centre.secondary.setMode('down')]);
    const b1 = await connectAs(t.mqttUrl, 'sch-01-btn-1');
    const b2 = await connectAs(t.mqttUrl, 'sch-02-btn-1');
    await b1.publishAsync(...press('sch-01', 'sch-01-btn-1'), { qos: 1 });
    await b2.publishAsync(...press('sch-02', 'sch-02-btn-1'), { qos: 1 });
    await Promise.all([b1.endAsync(), b2.endAsync()]);

    fillDisk(store);

    // Presses fill what room is left in the tables' pages; then one cannot be committed: no
    // PUBACK, the broker closes the connection (the button sends it again).
    let refused: number | undefined;
    const accepted: number[] = [];
    for (let n = 3; n <= 30 && refused === undefined; n++) {
      const site = `sch-${String(n).padStart(2, '0')}`;
      const b = await connectAs(t.mqttUrl, `${site}-btn-1`);
      const outcome = await new Promise<'acked' | 'closed'>((resolve) => {
        b.once('close', () => resolve('closed'));
        b.publish(...press(site, `${site}-btn-1`), { qos: 1 }, (err) => {
          if (!err) resolve('acked');
        });
      });
      b.end(true);
      if (outcome === 'acked') accepted.push(n);
      else refused = n;
    }
    expect(refused).toBeDefined();
    expect(t.gw.counters.get('mqtt.publish.uncommitted')).toBeGreaterThanOrEqual(1);

    // The board hears of it, though nothing can be written.
    const full = await eventually(() => live.find((m) => m.type === 'alarm' && m.alarm?.type === 'storage-full')?.alarm);
    expect(full).toMatchObject({ severity: 'critical', state: 'active' });
    expect(t.gw.alarms.openAlarms().some((a) => a.type === 'storage-full')).toBe(true);
    expect(t.gw.counters.get('storage.full')).toBe(1);
    expect((await t.gw.store.queryAlarms({ state: 'active' })).some((a) => a.type === 'storage-full')).toBe(false);

    // The 110 centre comes back: the reports held in the outbox are delivered although their
    // acknowledgement cannot be recorded.
    await Promise.all([t.centre.primary.setMode('normal'), t.centre.secondary.setMode('normal')]);
    const pa1 = await t.centre.primary.waitForMessage((m) => m.account === '1001' && m.data.includes('PA'), 30_000);
    const pa2 = await t.centre.primary.waitForMessage((m) => m.account === '1002' && m.data.includes('PA'), 30_000);
    expect([pa1.data, pa2.data].every((d) => d.includes('PA'))).toBe(true);
    for (const n of accepted) await t.centre.primary.waitForMessage((m) => m.account === String(1000 + n) && m.data.includes('PA'), 30_000);
    const refusedAccount = String(1000 + (refused ?? 0));
    expect(t.centre.primary.messages({ account: refusedAccount }).some((m) => m.data.includes('PA'))).toBe(false);

    // Space returns: the held alarm is committed (then cleared), and a press goes through again.
    store.db.pragma('max_page_count = 1073741823');
    store.db.exec('DROP TABLE filler');
    const cleared = await eventually(() => live.find((m) => m.type === 'alarm' && m.alarm?.type === 'storage-full' && m.alarm.state === 'resolved')?.alarm, { timeoutMs: 20_000 });
    expect(cleared.id).toBe(full?.id);
    const kept = await t.gw.store.getAlarm(cleared.id);
    expect(kept?.alarm.timeline.map((e) => e.action)).toStrictEqual(['raised', 'cleared']);
    const site = `sch-${String(refused).padStart(2, '0')}`;
    const again = await connectAs(t.mqttUrl, `${site}-btn-1`);
    await again.publishAsync(...press(site, `${site}-btn-1`), { qos: 1 });
    await again.endAsync();
    await t.centre.primary.waitForMessage((m) => m.account === refusedAccount && m.data.includes('PA'), 30_000);
    expect(t.gw.counters.get('storage.recovered')).toBe(1);
  });
});

/**
 * Back-pressure of the embedded telemetry store on a real SQLite file: a second connection holds
 * the write lock (the store's commits fail with SQLITE_BUSY, as on a stalled or full disk), so
 * nothing drains. Readings admitted past the bound wait; nothing admitted is ever dropped; the
 * alarm path's write() is never held; once the lock goes every reading lands.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGatewayError } from '../../../gateway/contract/errors.js';
import { createEmbeddedStore, type EmbeddedTelemetryStore } from '../../../gateway/store/telemetry-embedded.js';
import { point } from '../../contract/telemetry-store-contract.js';
import { storedPoints } from '../../helpers/telemetry-sqlite.js';

const log = pino({ level: 'silent' });

describe('embedded telemetry store under back-pressure', () => {
  let dir: string;
  let store: EmbeddedTelemetryStore;
  let locker: Database.Database | undefined;
  const T0 = Date.now();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'telemetry-bp-'));
    store = createEmbeddedStore({ dir, batchSize: 50, flushIntervalMs: 20, maxBufferedPoints: 200, retryMs: 20 }, log);
    await store.start();
    locker = new Database(join(dir, 'telemetry.sqlite'));
    locker.exec('BEGIN IMMEDIATE');
  });
  afterEach(async () => {
    if (locker?.inTransaction) locker.exec('ROLLBACK');
    locker?.close();
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Points stored (day tables and the staging table, telemetry-embedded-sql.ts). */
  const rows = (): number => storedPoints(join(dir, 'telemetry.sqlite')).points;

  it('holds readings past the bound, drops none, lets the alarm path through, and lands all once the store drains', async () => {
    const held: Promise<void>[] = [];
    let waited = 0;
    for (let i = 0; i < 300; i++) {
      const w = store.admit([point('d1', T0 + i, { battery: i })], () => waited++);
      if (w) held.push(w);
    }
    // Every reading is answered once in the journal; 100 had to wait for room first.
    expect(held).toHaveLength(300);
    expect(waited).toBe(100);
    let settled = 0;
    for (const h of held) void h.then(() => settled++);
    // The store cannot commit (locked): a retry fails and nothing moves; the 200 admitted are
    // journaled (acknowledged: kept across a crash), the 100 waiting for room are not.
    await vi.waitFor(() => expect(store.stats().retries).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 10 });
    expect(settled).toBe(200);
    expect(store.stats()).toMatchObject({ written: 0, buffered: 200, dropped: 0, bound: 200, waiting: 100, throttled: 100 });
    // The alarm path never waits: write() is taken past the bound.
    store.write([point('d2', T0, { type: 'press' }, 'event')]);
    expect(store.stats()).toMatchObject({ buffered: 201, dropped: 0 });

    locker?.exec('COMMIT');
    await Promise.all(held);
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 301, buffered: 0, dropped: 0, waiting: 0, throttled: 100, throttledPoints: 100 });
    expect(store.stats().maxWaitMs).toBeGreaterThanOrEqual(0);
    expect(rows()).toBe(301);
  });

  it('refuses (uncommitted) the readings still waiting when it stops, and keeps the ones it admitted', async () => {
    const outcome = (w: Promise<void> | undefined): Promise<string> | string =>
      w?.then(
        () => 'stored',
        (err: unknown) => (isGatewayError(err, 'GW_ERR_STORE_UNAVAILABLE') ? 'refused' : String(err)),
      ) ?? 'answered at once';
    let waited = 0;
    const admitted = Array.from({ length: 200 }, (_, i) => outcome(store.admit([point('d1', T0 + i, { battery: i })], () => waited++)));
    expect(waited).toBe(0);
    const waiting = outcome(store.admit([point('d1', T0 + 500, { battery: 1 })], () => waited++));
    expect(waited).toBe(1);
    locker?.exec('COMMIT');
    const stopping = store.stop();
    expect(await waiting).toBe('refused');
    await stopping;
    // The 200 admitted are answered once committed (at stop's flush), not before.
    expect(new Set(await Promise.all(admitted))).toStrictEqual(new Set(['stored']));
    expect(store.stats()).toMatchObject({ written: 200, dropped: 0 });
    expect(rows()).toBe(200);
  });

  it('answers at once a reading the store refuses as invalid (counted), without journaling it', async () => {
    expect(store.admit([point('d1', T0, {})])).toBeUndefined();
    expect(store.stats()).toMatchObject({ dropped: 1, journalWrites: 0, journalSegments: 0 });
  });

  it('answers a reading once it is in the journal, even while the database refuses the commit; the journal segment goes once committed', async () => {
    locker?.exec('COMMIT');
    locker?.exec('BEGIN IMMEDIATE');
    await store.admit([point('d1', T0, { battery: 1 })]);
    await vi.waitFor(() => expect(store.stats().retries).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 10 });
    expect(store.stats().written).toBe(0);
    const journal = join(dir, 'journal');
    const lines = async (): Promise<string> => (await Promise.all((await readdir(journal)).map((f) => readFile(join(journal, f), 'utf8')))).join('');
    expect(await lines()).toContain('"battery":1');
    locker?.exec('COMMIT');
    await vi.waitFor(() => expect(store.stats().written).toBe(1), { timeout: 10_000, interval: 10 });
    await store.stop();
    expect([rows(), await readdir(journal)]).toStrictEqual([1, []]);
  });
});

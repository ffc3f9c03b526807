/**
 * Embedded-store specifics: day tables and retention, and the staging table's compaction in the
 * writer thread, on a real SQLite file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../gateway/contract/clock.js';
import { createEmbeddedStore, type EmbeddedStoreOptions, type EmbeddedTelemetryStore } from '../../../gateway/store/telemetry-embedded.js';
import { point } from '../../contract/telemetry-store-contract.js';
import { storedPoints } from '../../helpers/telemetry-sqlite.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const MIN = 60_000;

describe('EmbeddedTelemetryStore', () => {
  let dir: string;
  let now: number;
  const clock: Clock = { ...systemClock, now: () => now };
  const stores: EmbeddedTelemetryStore[] = [];
  const make = (opts: Partial<EmbeddedStoreOptions> = {}): EmbeddedTelemetryStore => {
    const s = createEmbeddedStore({ dir, retentionDays: 2, longRetentionDays: 10, clock, ...opts }, log);
    stores.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'telemetry-embedded-'));
    now = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const dayTables = (): string[] => {
    const db = new Database(join(dir, 'telemetry.sqlite'), { readonly: true });
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'p_*' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    db.close();
    return names;
  };

  it('keeps one table per UTC day and drops whole days past the retention', async () => {
    const today = Math.floor(now / DAY) * DAY;
    const first = make();
    await first.start();
    first.write([
      point('d1', today - DAY + MIN, { battery: 1 }),
      point('d1', today + MIN, { battery: 2 }),
      point('d1', today - DAY + 2 * MIN, { status: 'ok', up: 1 }, 'health'),
      // Older than two days: refused at the door, as InfluxDB refuses points beyond its RP.
      point('d1', today - 2 * DAY, { battery: 0 }),
    ]);
    await first.stop();
    expect(first.stats()).toMatchObject({
      written: 3,
      buffered: 0,
      spooled: 0,
      dropped: 1,
      lastError: 'GW_ERR_PAYLOAD_INVALID: telemetry point older than its retention',
    });
    expect(dayTables()).toStrictEqual([`p_${today / DAY - 1}`, `p_${today / DAY}`]);

    now += DAY;
    const next = make();
    await next.start();
    expect(dayTables()).toStrictEqual([`p_${today / DAY}`]);
    const q = { deviceId: 'd1', field: 'battery', everyMs: DAY };
    expect(await next.series({ ...q, from: today - DAY, to: today + DAY })).toStrictEqual([
      { at: today - DAY, value: null },
      { at: today, value: 2 },
    ]);
    // Health transitions live longer than raw readings.
    expect(await next.availability({ deviceIds: ['d1'], from: today, to: today + DAY })).toStrictEqual({ d1: 1 });
  });

  it('merges the fields of two writes to the same series and millisecond, as InfluxDB does', async () => {
    const s = make();
    await s.start();
    s.write([point('d1', now, { battery: 5, rssi: -50 })]);
    await s.flush();
    s.write([point('d1', now, { battery: 7 })]);
    await s.flush();
    const q = { deviceId: 'd1', from: now, to: now + MIN, everyMs: MIN };
    expect([await s.series({ ...q, field: 'battery' }), await s.series({ ...q, field: 'rssi' })]).toStrictEqual([
      [{ at: now, value: 7 }],
      [{ at: now, value: -50 }],
    ]);
  });

  const stored = () => storedPoints(join(dir, 'telemetry.sqlite'));
  const readings = (n: number, at: number) => Array.from({ length: n }, (_, i) => point(`d${i % 4}`, at + Math.floor(i / 4), { battery: i % 50 }));

  it('compacts in the writer thread once enough points are staged, and after the time limit', async () => {
    const byRows = make({ compactRows: 500 });
    await byRows.start();
    byRows.write(readings(1000, now));
    await byRows.flush();
    // The writer compacts after reporting that commit, before it takes the next insert.
    byRows.write([point('d9', now, { battery: 1 })]);
    await byRows.flush();
    expect(stored()).toStrictEqual({ points: 1001, rows: 1001, staged: 1 });
    await byRows.stop();

    const byTime = make({ compactMs: 0 });
    await byTime.start();
    byTime.write(readings(10, now + MIN));
    await byTime.flush();
    byTime.write(readings(10, now + 2 * MIN));
    await byTime.flush();
    // The first ten are compacted (the second ten may be, once the writer gets to it).
    expect(stored().points).toBe(1021);
    expect(stored().staged).toBeLessThanOrEqual(10);
  });

  it('keeps what a killed writer staged, queries it, and compacts it at the next start', async () => {
    const first = make();
    await first.start();
    first.write(readings(800, now));
    await first.flush();
    // Killed between the inserts and any compaction: the points are staged, on disk.
    await first.terminateWriter();
    expect(stored()).toStrictEqual({ points: 800, rows: 800, staged: 800 });
    const q = { deviceId: 'd1', field: 'battery', from: now, to: now + MIN, everyMs: 10_000 };
    const staged = await first.series(q);
    expect(staged.filter((b) => b.value !== null)).toHaveLength(1);
    await first.stop();

    const next = make();
    await next.start();
    next.write([point('d1', now + 30_000, { battery: 1000 })]);
    await next.flush();
    // The new writer compacted the 800 before taking the new point.
    expect(stored()).toStrictEqual({ points: 801, rows: 801, staged: 1 });
    expect(await next.series(q)).toStrictEqual([...staged.slice(0, 3), { at: now + 30_000, value: 1000 }, ...staged.slice(4)]);
  });
});

/**
 * The embedded store's staging table (telemetry-embedded-sql.ts, on a real SQLite file): new
 * points land in `recent`, a compaction moves every one of them into its day table, merging the
 * fields of a series and millisecond written twice exactly as a direct write did, and queries
 * give the same buckets before and after, never counting a point twice. Retention clears old
 * staged rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedSql, type BucketRow } from '../../../gateway/store/telemetry-embedded-sql.js';
import type { StoredPoint } from '../../../gateway/store/telemetry-points.js';
import type { Scalar } from '../../../gateway/contract/types.js';

const DAY = 86_400_000;
const MIN = 60_000;
const D0 = Date.UTC(2026, 11, 5);
const pt = (device: string, at: number, fields: Record<string, Scalar>): StoredPoint => ({ measurement: 'telemetry', tags: { site: 's1', device }, fields, at });

describe('EmbeddedSql staging table and compaction', () => {
  let dir: string;
  let db: Database.Database;
  let sql: EmbeddedSql;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'telemetry-staging-'));
    db = new Database(join(dir, 'telemetry.sqlite'));
    sql = new EmbeddedSql(db, { rows: 1_000_000, ms: 3_600_000 });
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const dayTables = (): string[] => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'p_*' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
  /** What series() sums: every table tablesFor() names, bucket by bucket. */
  const buckets = (device: string, field: string, from: number, to: number, every: number): BucketRow[] => {
    const sids = sql.seriesIds(device, 'telemetry');
    const out = new Map<number, BucketRow>();
    for (const t of sql.tablesFor('telemetry', from, to)) {
      for (const r of sql.bucketSums(t, sids, field, from, to, from, every)) {
        const acc = out.get(r.b) ?? { b: r.b, s: 0, n: 0 };
        acc.s += r.s;
        acc.n += r.n;
        out.set(r.b, acc);
      }
    }
    return [...out.values()].sort((a, b) => a.b - b.b);
  };
  const fieldsAt = (device: string, at: number): unknown[] => {
    const [sid] = sql.seriesIds(device, 'telemetry');
    return dayTables().flatMap((t) => (db.prepare(`SELECT f FROM ${t} WHERE sid = ? AND at = ?`).all(sid, at) as { f: string }[]).map((r) => JSON.parse(r.f) as unknown));
  };

  it('stages new points and moves every one into its day table, sorted by series; queries see the same before and after', () => {
    // Three devices over two UTC days, and a health point (sparse: lp, never staged).
    const points: StoredPoint[] = [];
    for (let i = 0; i < 300; i++) points.push(pt(`d${i % 3}`, D0 - DAY + 12 * 3_600_000 + i * 5 * MIN, { battery: i % 100 }));
    sql.insert(points.slice(0, 150));
    sql.insert([...points.slice(150), { measurement: 'health', tags: { device: 'd0' }, fields: { up: true }, at: D0 }]);
    expect([count('recent'), count('lp'), dayTables()]).toStrictEqual([300, 1, []]);
    const before = ['d0', 'd1', 'd2'].map((d) => buckets(d, 'battery', D0 - DAY, D0 + DAY, 3_600_000));
    expect(before[0]?.reduce((a, r) => a + r.n, 0)).toBe(100);

    expect(sql.compact()).toBe(300);
    expect(count('recent')).toBe(0);
    expect(dayTables()).toStrictEqual([`p_${D0 / DAY - 1}`, `p_${D0 / DAY}`]);
    expect(count(`p_${D0 / DAY - 1}`) + count(`p_${D0 / DAY}`)).toBe(300);
    // Each day table holds its day's points only, by series then time.
    for (const d of [D0 / DAY - 1, D0 / DAY]) {
      const rows = db.prepare(`SELECT sid, at FROM p_${d} ORDER BY rowid`).all() as { sid: number; at: number }[];
      expect(rows.every((r) => Math.floor(r.at / DAY) === d)).toBe(true);
      expect(rows).toStrictEqual([...rows].sort((a, b) => a.sid - b.sid || a.at - b.at));
    }
    expect(['d0', 'd1', 'd2'].map((d) => buckets(d, 'battery', D0 - DAY, D0 + DAY, 3_600_000))).toStrictEqual(before);

    // Staged and compacted points queried together: each once.
    sql.insert([pt('d0', D0 + 20 * 3_600_000, { battery: 40 })]);
    const today = (before[0] ?? []).filter((r) => r.b >= 24);
    expect(buckets('d0', 'battery', D0, D0 + DAY, DAY)).toStrictEqual([{ b: 0, s: today.reduce((a, r) => a + r.s, 0) + 40, n: today.reduce((a, r) => a + r.n, 0) + 1 }]);
  });

  it('merges a series and millisecond written before and after a compaction into one row with both fields, and queries it as that row meanwhile', () => {
    const at = D0 + 3 * MIN;
    sql.insert([pt('d1', at, { battery: 80, rssi: -60 }), pt('d1', at + MIN, { battery: 10 })]);
    sql.compact();
    // Written again, the same millisecond: a new field, and one overwritten.
    sql.insert([pt('d1', at, { battery: 70, temp: 21 })]);
    const q = (field: string): BucketRow[] => buckets('d1', field, D0, D0 + DAY, DAY);
    // Before the compaction: exactly what it will be after (battery 70 replaces 80, once).
    const staged = [q('battery'), q('rssi'), q('temp')];
    expect(staged).toStrictEqual([[{ b: 0, s: 80, n: 2 }], [{ b: 0, s: -60, n: 1 }], [{ b: 0, s: 21, n: 1 }]]);
    sql.compact();
    expect(fieldsAt('d1', at)).toStrictEqual([{ battery: 70, rssi: -60, temp: 21 }]);
    expect([q('battery'), q('rssi'), q('temp')]).toStrictEqual(staged);
    // Twice within recent: merged there too.
    sql.insert([pt('d1', at + 2 * MIN, { battery: 1 })]);
    sql.insert([pt('d1', at + 2 * MIN, { rssi: -70 })]);
    expect(count('recent')).toBe(1);
    sql.compact();
    expect(fieldsAt('d1', at + 2 * MIN)).toStrictEqual([{ battery: 1, rssi: -70 }]);
  });

  it('makes a compaction due by staged rows or by time since the last one', () => {
    const now = Date.now();
    const s = new EmbeddedSql(db, { rows: 3, ms: 60_000 });
    expect(s.compactDue(now + 120_000)).toBe(false);
    s.insert([pt('d1', D0, { v: 1 }), pt('d1', D0 + 1, { v: 1 })]);
    expect([s.compactDue(now), s.compactDue(now + 61_000)]).toStrictEqual([false, true]);
    s.insert([pt('d1', D0 + 2, { v: 1 })]);
    expect(s.compactDue(now)).toBe(true);
    s.compact(now);
    expect([s.compactDue(now + 61_000), count('recent')]).toStrictEqual([false, 0]);
  });

  it('a compaction that cannot write (another connection holds the lock) moves nothing, keeps the points staged, and waits before the next try', () => {
    db.close();
    db = new Database(join(dir, 'telemetry.sqlite'), { timeout: 0 });
    sql = new EmbeddedSql(db, { rows: 1, ms: 60_000 });
    const s = sql;
    s.insert([pt('d1', D0 + 1, { battery: 3 }), pt('d1', D0 + 2, { battery: 5 })]);
    const locker = new Database(join(dir, 'telemetry.sqlite'));
    locker.exec('BEGIN IMMEDIATE');
    const now = Date.now();
    try {
      expect(() => s.compact(now)).toThrow(/locked|busy/i);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect([count('recent'), dayTables()]).toStrictEqual([2, []]);
    expect(buckets('d1', 'battery', D0, D0 + DAY, DAY)).toStrictEqual([{ b: 0, s: 8, n: 2 }]);
    expect([s.compactDue(now + 1_000), s.compactDue(now + 10_000)]).toStrictEqual([false, true]);
    expect(s.compact(now + 10_000)).toBe(2);
    expect(buckets('d1', 'battery', D0, D0 + DAY, DAY)).toStrictEqual([{ b: 0, s: 8, n: 2 }]);
  });

  it('retention drops staged rows of expired days with the day tables', () => {
    sql.insert([pt('d1', D0 - 3 * DAY, { v: 1 }), pt('d1', D0 - 2 * DAY, { v: 2 })]);
    sql.compact();
    sql.insert([pt('d1', D0 - 3 * DAY + 1, { v: 3 }), pt('d1', D0 - DAY, { v: 4 }), pt('d1', D0, { v: 5 })]);
    expect(sql.expire(D0 / DAY - 1, 0)).toBe(2);
    expect((db.prepare('SELECT at FROM recent ORDER BY at').all() as { at: number }[]).map((r) => r.at)).toStrictEqual([D0 - DAY, D0]);
    sql.compact();
    expect(dayTables()).toStrictEqual([`p_${D0 / DAY - 1}`, `p_${D0 / DAY}`]);
  });

  it('an older file without the staging table gains it and keeps its day tables readable', () => {
    db.close();
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    // The layout before the staging table: points written straight into their day table.
    old.exec(`
      CREATE TABLE series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, device TEXT NOT NULL, key TEXT NOT NULL UNIQUE, tags TEXT NOT NULL);
      CREATE INDEX series_device ON series (device, measurement);
      CREATE TABLE lp (sid INTEGER NOT NULL, at INTEGER NOT NULL, f TEXT NOT NULL); CREATE UNIQUE INDEX lp_key ON lp (sid, at);
      CREATE TABLE p_${D0 / DAY} (sid INTEGER NOT NULL, at INTEGER NOT NULL, f TEXT NOT NULL); CREATE UNIQUE INDEX p_${D0 / DAY}_key ON p_${D0 / DAY} (sid, at);
      INSERT INTO series VALUES (1, 'telemetry', 'd1', 'telemetry' || char(0) || 'device=d1' || char(0) || 'site=s1', '{"site":"s1","device":"d1"}');
      INSERT INTO p_${D0 / DAY} VALUES (1, ${D0 + 1}, '{"battery":4,"rssi":-50}');`);
    db = old;
    sql = new EmbeddedSql(old);
    // The same series, and the same millisecond again: staged, merged with the old row on compaction.
    sql.insert([pt('d1', D0 + 2, { battery: 6 }), pt('d1', D0 + 1, { battery: 5 })]);
    expect([count('recent'), sql.seriesIds('d1', 'telemetry')]).toStrictEqual([2, [1]]);
    expect([buckets('d1', 'battery', D0, D0 + DAY, DAY), buckets('d1', 'rssi', D0, D0 + DAY, DAY)]).toStrictEqual([[{ b: 0, s: 11, n: 2 }], [{ b: 0, s: -50, n: 1 }]]);
    sql.compact();
    expect(fieldsAt('d1', D0 + 1)).toStrictEqual([{ battery: 5, rssi: -50 }]);
    expect(buckets('d1', 'battery', D0, D0 + DAY, DAY)).toStrictEqual([{ b: 0, s: 11, n: 2 }]);
  });
});

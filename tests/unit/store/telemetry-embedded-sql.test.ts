/**
 * The embedded store's series ids: one per measurement and tag set, the same after a restart,
 * remembered per device in memory (telemetry-embedded-sql.ts) without mixing tag sets up.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSql } from '../../../gateway/store/telemetry-embedded-sql.js';
import type { StoredPoint } from '../../../gateway/store/telemetry-points.js';

const AT = Date.UTC(2026, 11, 5, 12);
const pt = (measurement: string, tags: Record<string, string>, at = AT): StoredPoint => ({ measurement, tags, fields: { v: 1 }, at });

describe('EmbeddedSql series', () => {
  const dbs: Database.Database[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
  });
  const series = (db: Database.Database) => db.prepare('SELECT id, measurement, device, key FROM series ORDER BY id').all() as { id: number; measurement: string; device: string; key: string }[];
  const sidsOf = (db: Database.Database, table: string) => (db.prepare(`SELECT sid FROM ${table} ORDER BY rowid`).all() as { sid: number }[]).map((r) => r.sid);

  it('gives each measurement and tag set its own series, the same one for every later point and after a restart', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    const points = [
      pt('telemetry', { site: 's1', device: 'd1', kind: 'alarm-button' }),
      pt('telemetry', { site: 's1', device: 'd2', kind: 'alarm-button' }),
      // Same device, another tag set (an alarm's type): another series.
      pt('alarm', { site: 's1', device: 'd1', kind: 'alarm-button', type: 'press' }),
      pt('alarm', { site: 's1', device: 'd1', kind: 'alarm-button', type: 'fire' }),
      // No device tag is not the same tag set as an empty device tag.
      pt('alarm', { site: 's1', kind: 'alarm-centre', type: 'x' }),
      pt('alarm', { site: 's1', device: '', kind: 'alarm-centre', type: 'x' }),
      pt('health', { site: 's1', device: 'd1', kind: 'alarm-button' }),
    ];
    const sql = new EmbeddedSql(db);
    sql.insert(points);
    sql.insert(points.map((p) => ({ ...p, tags: { ...p.tags }, at: p.at + 1 })));
    const rows = series(db);
    expect(rows.map((r) => r.key)).toStrictEqual([
      'telemetry\u0000device=d1\u0000kind=alarm-button\u0000site=s1',
      'telemetry\u0000device=d2\u0000kind=alarm-button\u0000site=s1',
      'alarm\u0000device=d1\u0000kind=alarm-button\u0000site=s1\u0000type=press',
      'alarm\u0000device=d1\u0000kind=alarm-button\u0000site=s1\u0000type=fire',
      'alarm\u0000kind=alarm-centre\u0000site=s1\u0000type=x',
      'alarm\u0000device=\u0000kind=alarm-centre\u0000site=s1\u0000type=x',
      'health\u0000device=d1\u0000kind=alarm-button\u0000site=s1',
    ]);
    // Frequent measurements land in the staging table; a compaction moves them to their day table, by series.
    expect(sidsOf(db, 'recent')).toStrictEqual([1, 2, 1, 2]);
    sql.compact();
    const day = `p_${Math.floor(AT / 86_400_000)}`;
    expect(sidsOf(db, day)).toStrictEqual([1, 1, 2, 2]);
    expect(sidsOf(db, 'recent')).toStrictEqual([]);
    expect(sidsOf(db, 'lp')).toStrictEqual([3, 4, 5, 6, 7, 3, 4, 5, 6, 7]);
    expect(sql.seriesIds('d1', 'alarm').sort()).toStrictEqual([3, 4]);

    // A new process on the same file finds the series it has, and adds only new ones.
    const again = new EmbeddedSql(db);
    again.insert([pt('alarm', { type: 'fire', kind: 'alarm-button', device: 'd1', site: 's1' }, AT + 2), pt('telemetry', { site: 's2', device: 'd1', kind: 'alarm-button' }, AT + 2)]);
    expect(sidsOf(db, 'lp').at(-1)).toBe(4);
    expect(sidsOf(db, 'recent')).toStrictEqual([8]);
    expect(series(db)).toHaveLength(8);
  });
});

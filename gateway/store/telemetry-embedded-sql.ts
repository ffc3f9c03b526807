/**
 * SQLite layout of the embedded telemetry store.
 *   series(id, measurement, device, key, tags)  one row per measurement + tag set, like an
 *                                               InfluxDB series key
 *   p_<day>(sid, at, f)                         points of frequent measurements, one table per
 *                                               UTC day (day = floor(at / 86400000))
 *   lp(sid, at, f)                              the sparse ones (LONG_MEASUREMENTS: health,
 *                                               alarm), one table, kept for the long retention
 * f holds the fields as a JSON object: one row per point was 1.4-1.8x faster to insert than one
 * row per field here, and JSON keeps the value types (json_type: integer/real, text, true/false).
 * Rows go in rowid (arrival) order with a unique (sid, at) index: a clustered (sid, at) key
 * dirtied one leaf page per device in every commit and wrote several times more WAL.
 * A second write of the same series and millisecond merges its fields (json_patch), as InfluxDB
 * merges the fields of points with the same series key and timestamp.
 */
import type Database from 'better-sqlite3';
import { LONG_MEASUREMENTS, type StoredPoint } from './telemetry-points.js';

export interface PointRow {
  at: number;
  f: string;
}

export interface BucketRow {
  b: number;
  s: number;
  n: number;
}

const DAY_MS = 86_400_000;
/** Field keys may not contain '"' (telemetry-points.ts), so quoting the label is enough. */
const path = (field: string): string => `$."${field}"`;
const pointTable = (name: string): string =>
  `CREATE TABLE IF NOT EXISTS ${name} (sid INTEGER NOT NULL, at INTEGER NOT NULL, f TEXT NOT NULL);` +
  `CREATE UNIQUE INDEX IF NOT EXISTS ${name}_key ON ${name} (sid, at);`;
const HAS_HEALTH = `(json_type(f, '$.up') IS NOT NULL OR json_type(f, '$.status') IS NOT NULL)`;

/** A known series of one device and measurement: the rest of its tag set (interned) and its id. */
interface SeriesRef {
  rest: string;
  id: number;
  next: SeriesRef | undefined;
}

export class EmbeddedSql {
  /**
   * Series ids by measurement, then device (the registry's own id string), then the rest of the
   * tag set. Keyed by the whole series key, this held two ~160-byte strings per device (~420
   * bytes with the entries, bench heap-per-device); the rest of a tag set ("kind=…, site=…") is
   * the same for a school's devices and is kept once (`rests`).
   */
  private readonly sids = new Map<string, Map<string, SeriesRef>>();
  private readonly rests = new Map<string, string>();
  private readonly days = new Set<number>();
  private readonly inserts = new Map<number | 'lp', Database.Statement<[number, number, string]>>();
  private readonly findSeries: Database.Statement<[string], { id: number }>;
  private readonly addSeries: Database.Statement<[string, string, string, string], { id: number }>;
  private readonly seriesOf: Database.Statement<[string, string], { id: number }>;
  private readonly insertTx: (batch: StoredPoint[]) => void;

  constructor(private readonly db: Database.Database) {
    // WAL + NORMAL: a commit does not fsync every time, and a crash loses at most the last
    // commits, never corrupts the file (SQLite "Write-Ahead Logging", "PRAGMA synchronous").
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Batches touch many series at once: a bigger page cache keeps their index pages hot, and
    // checkpointing every ~40 MB of WAL instead of every 4 MB (the default) more than doubled
    // insert throughput here (SQLite "PRAGMA wal_autocheckpoint").
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 10000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, device TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE, tags TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS series_device ON series (device, measurement);
      ${pointTable('lp')}
      CREATE INDEX IF NOT EXISTS lp_at ON lp (at);`);
    this.loadDays();
    this.findSeries = db.prepare('SELECT id FROM series WHERE key = ?');
    this.addSeries = db.prepare('INSERT INTO series (measurement, device, key, tags) VALUES (?, ?, ?, ?) RETURNING id');
    this.seriesOf = db.prepare('SELECT id FROM series WHERE device = ? AND measurement = ?');
    this.insertTx = db.transaction((batch: StoredPoint[]) => {
      for (const p of batch) {
        const sid = this.sid(p);
        const stmt = this.insertFor(LONG_MEASUREMENTS.has(p.measurement) ? 'lp' : Math.floor(p.at / DAY_MS));
        stmt.run(sid, p.at, JSON.stringify(p.fields));
      }
    });
  }

  insert(batch: StoredPoint[]): void {
    try {
      this.insertTx(batch);
    } catch (err) {
      // The rollback also undid tables and series created inside it: forget cached ids.
      this.sids.clear();
      this.inserts.clear();
      this.loadDays();
      throw err;
    }
  }

  /** Ids of the series (tag sets) of one device in one measurement. */
  seriesIds(device: string, measurement: string): number[] {
    return this.seriesOf.all(device, measurement).map((r) => r.id);
  }

  /** Tables that can hold points of `measurement` in [from, to). */
  tablesFor(measurement: string, from: number, to: number): string[] {
    if (LONG_MEASUREMENTS.has(measurement)) return ['lp'];
    // Day tables are created by the writer's connection (another thread): ask the file.
    this.loadDays();
    const first = Math.floor(from / DAY_MS);
    const last = Math.floor((to - 1) / DAY_MS);
    return [...this.days]
      .filter((d) => d >= first && d <= last)
      .sort((a, b) => a - b)
      .map((d) => `p_${d}`);
  }

  /** Per-bucket sum and count of one numeric field in one table; bucket b starts at first + b * every. */
  bucketSums(table: string, sids: number[], field: string, from: number, to: number, first: number, every: number): BucketRow[] {
    const marks = sids.map(() => '?').join(', ');
    return this.db
      .prepare(
        // JS numbers bind as REAL: cast so the division is an integer (floor, as at >= first).
        `SELECT (at - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS b, sum(f ->> ?) AS s, count(*) AS n ` +
          `FROM ${table} WHERE sid IN (${marks}) AND at >= ? AND at < ? ` +
          `AND json_type(f, ?) IN ('integer', 'real') GROUP BY b`,
      )
      .all(first, every, path(field), ...sids, from, to, path(field)) as BucketRow[];
  }

  /** The device's last 'health' point before `from`. */
  lastHealthBefore(device: string, from: number): PointRow[] {
    const sids = this.seriesOf.all(device, 'health').map((r) => r.id);
    if (sids.length === 0) return [];
    const marks = sids.map(() => '?').join(', ');
    return this.db
      .prepare(`SELECT at, f FROM lp WHERE sid IN (${marks}) AND at < ? AND ${HAS_HEALTH} ORDER BY at DESC LIMIT 1`)
      .all(...sids, from) as PointRow[];
  }

  /** The device's 'health' points in [from, to], oldest first. */
  healthBetween(device: string, from: number, to: number): PointRow[] {
    const sids = this.seriesOf.all(device, 'health').map((r) => r.id);
    if (sids.length === 0) return [];
    const marks = sids.map(() => '?').join(', ');
    return this.db
      .prepare(`SELECT at, f FROM lp WHERE sid IN (${marks}) AND at >= ? AND at <= ? AND ${HAS_HEALTH} ORDER BY at`)
      .all(...sids, from, to) as PointRow[];
  }

  /** Retention: drops day tables before `day`, deletes sparse rows before `longBefore`. */
  expire(day: number, longBefore: number): number {
    let dropped = 0;
    for (const d of [...this.days].filter((x) => x < day)) {
      this.db.exec(`DROP TABLE IF EXISTS p_${d}`);
      this.days.delete(d);
      this.inserts.delete(d);
      dropped++;
    }
    this.db.prepare('DELETE FROM lp WHERE at < ?').run(longBefore);
    return dropped;
  }

  private loadDays(): void {
    const tables = this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'p_[0-9]*'`).all() as { name: string }[];
    this.days.clear();
    for (const { name } of tables) this.days.add(Number(name.slice(2)));
  }

  close(): void {
    this.db.close();
  }

  private sid(p: StoredPoint): number {
    const names = Object.keys(p.tags).sort();
    const device = p.tags.device;
    // The tags but the device; marked when there is no device tag at all (not the same series as device '').
    let rest = device === undefined ? '\u0001' : '';
    for (const k of names) if (k !== 'device') rest += `\u0000${k}=${p.tags[k]}`;
    let byDevice = this.sids.get(p.measurement);
    if (!byDevice) {
      byDevice = new Map();
      this.sids.set(p.measurement, byDevice);
    }
    const first = byDevice.get(device ?? '');
    for (let r = first; r; r = r.next) if (r.rest === rest) return r.id;
    // The series key as stored in the table (unchanged: existing files keep their series).
    const key = `${p.measurement}\u0000${names.map((k) => `${k}=${p.tags[k]}`).join('\u0000')}`;
    const id = this.findSeries.get(key)?.id ?? this.addSeries.get(p.measurement, device ?? '', key, JSON.stringify(p.tags))?.id;
    if (id === undefined) throw new Error('series insert returned no id');
    let interned = this.rests.get(rest);
    if (interned === undefined) {
      interned = rest;
      this.rests.set(rest, rest);
    }
    byDevice.set(device ?? '', { rest: interned, id, next: first });
    return id;
  }

  private insertFor(table: number | 'lp'): Database.Statement<[number, number, string]> {
    let stmt = this.inserts.get(table);
    if (!stmt) {
      const name = table === 'lp' ? 'lp' : `p_${table}`;
      if (table !== 'lp' && !this.days.has(table)) {
        this.db.exec(pointTable(name));
        this.days.add(table);
      }
      stmt = this.db.prepare(
        `INSERT INTO ${name} (sid, at, f) VALUES (?, ?, ?) ON CONFLICT (sid, at) DO UPDATE SET f = json_patch(f, excluded.f)`,
      );
      this.inserts.set(table, stmt);
    }
    return stmt;
  }
}

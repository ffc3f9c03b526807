/**
 * SQLite layout of the embedded telemetry store.
 *   series(id, measurement, device, key, tags)  one row per measurement + tag set, like an
 *                                               InfluxDB series key
 *   recent(sid, at, f)                          staging: every new point of the frequent
 *                                               measurements lands here first, unique (at, sid)
 *   p_<day>(sid, at, f)                         points of frequent measurements, one table per
 *                                               UTC day (day = floor(at / 86400000)), unique
 *                                               (sid, at); filled only by compaction
 *   lp(sid, at, f)                              the sparse ones (LONG_MEASUREMENTS: health,
 *                                               alarm), one table, kept for the long retention
 * f holds the fields as a JSON object: one row per point was 1.4-1.8x faster to insert than one
 * row per field here, and JSON keeps the value types (json_type: integer/real, text, true/false).
 *
 * Why `recent`: with many series, each series' newest (sid, at) entry sits on its own index leaf,
 * so a commit of 1,000 points straight into a day table dirtied ~1,000 leaf pages: ~8.9 KB of
 * disk writes (WAL + checkpoint) per point at 10,000 series. recent's key is time first, so an
 * insert touches only its rightmost leaves. Compaction (compact(), in the writer thread, when
 * recent holds COMPACT_ROWS rows or COMPACT_MS have passed, and at writer start and close) moves
 * all of recent into the day tables in one transaction, sorted by (sid, at): each series' leaf
 * is dirtied once per compaction instead of once per point. recent is an ordinary durable table:
 * rows a crash leaves there are compacted at the next start, nothing is lost. Measured (10,000
 * series prefilled with 300 points each, 1,000-point commits, compactions included): 8,897 bytes
 * written per point and 26,000 points/s before; 2,365 B and 63,000 points/s with compactions of
 * 100,000 rows (3,688 B with 50,000), one taking 0.8-1.1 s (inserts wait meanwhile: well within
 * the store's 20,000-point queue at 5,000 points/s). The bound is the queries: recent is read
 * through its (at, sid) index, ~2.4 ms per device query at 50,000 rows, ~11 ms at 200,000.
 *
 * A second write of the same series and millisecond merges its fields (json_patch), as InfluxDB
 * merges the fields of points with the same series key and timestamp: within recent on insert,
 * into the day table on compaction. Queries read recent as well, and count a day-table row only
 * where recent holds no value of the asked field for the same (sid, at) (see bucketSums): the
 * same answer as after compaction.
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
/** Compaction is due once recent holds this many rows (~20 s at 5,000 points/s)… */
export const COMPACT_ROWS = 100_000;
/** …or this long after the last one (a quiet gateway still keeps recent small). */
export const COMPACT_MS = 60_000;
/** After a failed compaction (database locked, disk full), the next try waits this long. */
const COMPACT_RETRY_MS = 5_000;

export interface CompactOptions {
  /** Rows in recent that make a compaction due. Default COMPACT_ROWS. */
  rows?: number;
  /** Milliseconds since the last compaction that make one due. Default COMPACT_MS. */
  ms?: number;
}
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
  private readonly inserts = new Map<'recent' | 'lp', Database.Statement<[number, number, string]>>();
  /** Per day table: moves recent's rows of [from, to) into it (compaction). */
  private readonly moves = new Map<number, Database.Statement<[number, number]>>();
  private readonly firstRecent: Database.Statement<[number], { at: number | null }>;
  private readonly compactRows: number;
  private readonly compactMs: number;
  /** Points inserted into recent since the last compaction (a merge counts too: an upper bound). */
  private staged = 0;
  private lastCompact = Date.now();
  private nextTry = 0;
  private readonly findSeries: Database.Statement<[string], { id: number }>;
  private readonly addSeries: Database.Statement<[string, string, string, string], { id: number }>;
  private readonly seriesOf: Database.Statement<[string, string], { id: number }>;
  private readonly insertTx: (batch: StoredPoint[]) => number;
  private readonly compactTx: () => number;

  constructor(
    private readonly db: Database.Database,
    compact: CompactOptions = {},
  ) {
    this.compactRows = compact.rows ?? COMPACT_ROWS;
    this.compactMs = compact.ms ?? COMPACT_MS;
    // WAL + NORMAL: a commit does not fsync every time, and a crash loses at most the last
    // commits, never corrupts the file (SQLite "Write-Ahead Logging", "PRAGMA synchronous").
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Page cache 8 MiB (the default is 2 MiB). It was 64 MiB while every point went straight
    // into the day tables' indexes; since points are staged in `recent` and compacted in series
    // order, 8 MiB inserts and compacts as fast (store alone, 10,000 series, compactions
    // included: 78,446 points/s at 8 MiB, 78,798 at 64 MiB), and the 64 MiB cache was most of
    // what the gateway held outside the JS heap after one heartbeat of 19,000 devices
    // (connections: RSS 559 → 478 MB). Checkpointing every ~40 MB of WAL instead of every
    // 4 MB (the default) more than doubled insert throughput (SQLite "PRAGMA wal_autocheckpoint").
    db.pragma('cache_size = -8192');
    db.pragma('wal_autocheckpoint = 10000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, device TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE, tags TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS series_device ON series (device, measurement);
      ${pointTable('lp')}
      CREATE INDEX IF NOT EXISTS lp_at ON lp (at);
      CREATE TABLE IF NOT EXISTS recent (sid INTEGER NOT NULL, at INTEGER NOT NULL, f TEXT NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS recent_key ON recent (at, sid);`);
    this.loadDays();
    this.findSeries = db.prepare('SELECT id FROM series WHERE key = ?');
    this.addSeries = db.prepare('INSERT INTO series (measurement, device, key, tags) VALUES (?, ?, ?, ?) RETURNING id');
    this.seriesOf = db.prepare('SELECT id FROM series WHERE device = ? AND measurement = ?');
    this.firstRecent = db.prepare('SELECT min(at) AS at FROM recent WHERE at >= ?');
    this.insertTx = db.transaction((batch: StoredPoint[]) => {
      let staged = 0;
      for (const p of batch) {
        const sid = this.sid(p);
        const long = LONG_MEASUREMENTS.has(p.measurement);
        this.insertFor(long ? 'lp' : 'recent').run(sid, p.at, JSON.stringify(p.fields));
        if (!long) staged++;
      }
      return staged;
    });
    this.compactTx = db.transaction(() => {
      let moved = 0;
      // One UTC day at a time, found through recent's (at, sid) index: no scan of the table.
      for (let at = this.firstRecent.get(Number.MIN_SAFE_INTEGER)?.at ?? null; at !== null; ) {
        const day = Math.floor(at / DAY_MS);
        const end = (day + 1) * DAY_MS;
        moved += this.moveFor(day).run(day * DAY_MS, end).changes;
        at = this.firstRecent.get(end)?.at ?? null;
      }
      // Nothing staged: no write at all (the transaction only read; another connection may hold the write lock).
      if (moved === 0) return 0;
      // No WHERE: SQLite's truncate optimization, not a row-by-row delete.
      db.exec('DELETE FROM recent');
      return moved;
    });
  }

  insert(batch: StoredPoint[]): void {
    try {
      this.staged += this.insertTx(batch);
    } catch (err) {
      this.forget();
      throw err;
    }
  }

  /** True when recent holds enough rows, or the last compaction is long enough ago (the writer asks after each insert). */
  compactDue(now = Date.now()): boolean {
    if (this.staged === 0 || now < this.nextTry) return false;
    return this.staged >= this.compactRows || now - this.lastCompact >= this.compactMs;
  }

  /**
   * Moves every row of recent into its day table (created if missing), merging fields with a row
   * already there, in one transaction. Sorted by (sid, at), so each series' index leaf is written
   * once. Returns the rows moved. On failure nothing moved (rolled back) and the next
   * compactDue() waits a few seconds.
   */
  compact(now = Date.now()): number {
    try {
      const moved = this.compactTx();
      this.staged = 0;
      this.lastCompact = now;
      return moved;
    } catch (err) {
      this.nextTry = now + COMPACT_RETRY_MS;
      this.forget();
      throw err;
    }
  }

  /** Ids of the series (tag sets) of one device in one measurement. */
  seriesIds(device: string, measurement: string): number[] {
    return this.seriesOf.all(device, measurement).map((r) => r.id);
  }

  /** Tables that can hold points of `measurement` in [from, to): the day tables, then recent. */
  tablesFor(measurement: string, from: number, to: number): string[] {
    if (LONG_MEASUREMENTS.has(measurement)) return ['lp'];
    // Day tables are created by the writer's connection (another thread): ask the file.
    this.loadDays();
    const first = Math.floor(from / DAY_MS);
    const last = Math.floor((to - 1) / DAY_MS);
    return [
      ...[...this.days]
        .filter((d) => d >= first && d <= last)
        .sort((a, b) => a - b)
        .map((d) => `p_${d}`),
      'recent',
    ];
  }

  /**
   * Per-bucket sum and count of one numeric field in one table; bucket b starts at first + b * every.
   * A day-table row whose (sid, at) is also in recent (the same series and millisecond written
   * again before a compaction merged it: rare, a resent batch or a duplicate reading) counts only
   * if recent's row lacks the field: where it has it, compaction's json_patch keeps recent's
   * value, which is counted from recent. So a query shows exactly what it shows after compaction,
   * and no point twice. Only rows at or after recent's oldest point are probed (min(at) comes from
   * recent's index): the last seconds of a day table.
   */
  bucketSums(table: string, sids: number[], field: string, from: number, to: number, first: number, every: number): BucketRow[] {
    const marks = sids.map(() => '?').join(', ');
    const day = table.startsWith('p_');
    const shadowed = day
      ? `AND (p.at < (SELECT min(at) FROM recent) OR NOT EXISTS ` +
        `(SELECT 1 FROM recent r WHERE r.at = p.at AND r.sid = p.sid AND json_type(r.f, ?) IS NOT NULL)) `
      : '';
    return this.db
      .prepare(
        // JS numbers bind as REAL: cast so the division is an integer (floor, as at >= first).
        `SELECT (p.at - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS b, sum(p.f ->> ?) AS s, count(*) AS n ` +
          `FROM ${table} p WHERE p.sid IN (${marks}) AND p.at >= ? AND p.at < ? ` +
          `AND json_type(p.f, ?) IN ('integer', 'real') ${shadowed}GROUP BY b`,
      )
      .all(first, every, path(field), ...sids, from, to, path(field), ...(day ? [path(field)] : [])) as BucketRow[];
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

  /** Retention: drops day tables before `day` and recent's rows of those days, deletes sparse rows before `longBefore`. */
  expire(day: number, longBefore: number): number {
    let dropped = 0;
    for (const d of [...this.days].filter((x) => x < day)) {
      this.db.exec(`DROP TABLE IF EXISTS p_${d}`);
      this.days.delete(d);
      this.moves.delete(d);
      dropped++;
    }
    this.db.prepare('DELETE FROM recent WHERE at < ?').run(day * DAY_MS);
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

  /** After a rollback, which also undid tables and series created inside it: forget cached ids. */
  private forget(): void {
    this.sids.clear();
    this.inserts.clear();
    this.moves.clear();
    this.loadDays();
  }

  private insertFor(table: 'recent' | 'lp'): Database.Statement<[number, number, string]> {
    let stmt = this.inserts.get(table);
    if (!stmt) {
      const key = table === 'lp' ? 'sid, at' : 'at, sid';
      stmt = this.db.prepare(
        `INSERT INTO ${table} (sid, at, f) VALUES (?, ?, ?) ON CONFLICT (${key}) DO UPDATE SET f = json_patch(f, excluded.f)`,
      );
      this.inserts.set(table, stmt);
    }
    return stmt;
  }

  private moveFor(day: number): Database.Statement<[number, number]> {
    let stmt = this.moves.get(day);
    if (!stmt) {
      if (!this.days.has(day)) {
        this.db.exec(pointTable(`p_${day}`));
        this.days.add(day);
      }
      // recent already merged its own duplicates: at most one row per (sid, at) here.
      stmt = this.db.prepare(
        `INSERT INTO p_${day} (sid, at, f) SELECT sid, at, f FROM recent WHERE at >= ? AND at < ? ORDER BY sid, at ` +
          `ON CONFLICT (sid, at) DO UPDATE SET f = json_patch(f, excluded.f)`,
      );
      this.moves.set(day, stmt);
    }
    return stmt;
  }
}

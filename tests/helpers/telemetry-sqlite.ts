/**
 * What the embedded telemetry store holds in its SQLite file (telemetry-embedded-sql.ts): the day
 * tables p_<day> plus the staging table `recent` that new points land in until a compaction
 * moves them. One point can be in both for a while (the same series and millisecond written again
 * before a compaction merged it): `points` counts it once, as queries do; `rows` counts rows.
 */
import Database from 'better-sqlite3';

export interface StoredCount {
  /** Distinct (sid, at) over the day tables and recent: the points a query sees. */
  points: number;
  /** Rows in the day tables and recent together. */
  rows: number;
  /** Rows in recent (not compacted yet). */
  staged: number;
}

/** Counts the points of an embedded telemetry file; `where` (with `params`) filters rows of every table (columns sid, at). */
export function storedPoints(file: string, where = '1', ...params: unknown[]): StoredCount {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'p_[0-9]*' OR name = 'recent')`).all() as { name: string }[]).map((r) => r.name);
    if (tables.length === 0) return { points: 0, rows: 0, staged: 0 };
    const part = (t: string): string => `SELECT sid, at FROM ${t} WHERE ${where}`;
    const all = tables.flatMap(() => params);
    const count = (sql: string, args: unknown[]): number => (db.prepare(`SELECT count(*) AS n FROM (${sql})`).get(...args) as { n: number }).n;
    return {
      points: count(tables.map(part).join(' UNION '), all),
      rows: count(tables.map(part).join(' UNION ALL '), all),
      staged: tables.includes('recent') ? count(part('recent'), params) : 0,
    };
  } finally {
    db.close();
  }
}

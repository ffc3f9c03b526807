/**
 * PostgreSQL migrations (gateway/store/pg/migrate.ts) against a real server: N nodes starting at
 * once apply the schema exactly once; the schema holds every table and column the SQLite stores
 * have; and the database itself refuses what one process's memory used to prevent.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../gateway/contract/errors.js';
import { MIGRATIONS, migrate, type Migration } from '../../../gateway/store/pg/migrate.js';
import { startGateway } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
const pools: pg.Pool[] = [];
const pool = (url: string): pg.Pool => {
  const p = new pg.Pool({ connectionString: url, max: 4 });
  // An idle connection still closing when the server stops reports 57P01 here, not to a query.
  p.on('error', () => undefined);
  pools.push(p);
  return p;
};

beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await server?.stop();
});

async function sqlState(p: pg.Pool, sql: string, params: unknown[] = []): Promise<string | undefined> {
  try {
    await p.query(sql, params);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('PostgreSQL migrations', () => {
  it('4 nodes starting at once: applied exactly once, the others wait and find nothing to do', async () => {
    const url = await server.freshDatabase();
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(pool(url))));
    const all = MIGRATIONS.map((m) => m.version);
    const last = all[all.length - 1];
    expect(results.map((r) => r.applied).sort()).toStrictEqual([[], [], [], all]);
    expect(results.map((r) => r.current)).toStrictEqual([last, last, last, last]);
    const db = pool(url);
    expect((await db.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows).toStrictEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(await migrate(db)).toStrictEqual({ applied: [], current: last });
    // The lock is released: nothing is left waiting or held.
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows).toStrictEqual([{ n: 0 }]);
  });

  it('holds every table and column of the SQLite stores, plus leases, cluster_nodes and cluster_secrets', async () => {
    const url = await server.freshDatabase();
    const db = pool(url);
    await migrate(db);
    const pgColumns = new Map<string, Set<string>>();
    for (const r of (await db.query<{ table_name: string; column_name: string }>(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`)).rows) {
      if (!pgColumns.has(r.table_name)) pgColumns.set(r.table_name, new Set());
      pgColumns.get(r.table_name)?.add(r.column_name);
    }
    // The embedded gateway's SQLite file, as a real start creates it.
    const t = await startGateway();
    await t.close({ keepData: true });
    const sqlite = new Database(join(t.dataDir, 'state.db'), { readonly: true });
    const missing: string[] = [];
    // storage_probe is SQLite's scratch table for the storage-full probe (a write that needs space); no state.
    const sqliteTables = (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'storage_probe'`).all() as { name: string }[]).map((r) => r.name);
    for (const table of sqliteTables) {
      for (const { name } of sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]) {
        if (!pgColumns.get(table)?.has(name)) missing.push(`${table}.${name}`);
      }
    }
    sqlite.close();
    rmSync(t.dataDir, { recursive: true, force: true });
    expect(missing).toStrictEqual([]);
    expect(sqliteTables.sort()).toStrictEqual([
      'alarms', 'audit', 'broadcast_recipients', 'broadcasts', 'channel_sequence', 'device_state', 'drills',
      'lockouts', 'operators', 'outbox', 'sessions', 'sweep_reports', 'sweep_results', 'sweeps',
    ]);
    expect([...pgColumns.keys()].filter((n) => !sqliteTables.includes(n)).sort()).toStrictEqual(['cluster_nodes', 'cluster_secrets', 'leases', 'schema_migrations']);
  });

  it('refuses a second open alarm for the same type, site, device and drill; allows one once resolved', async () => {
    const db = pool(await server.freshDatabase());
    await migrate(db);
    const insert = (id: string, device: string | null, drill: boolean, state = 'active') =>
      sqlState(db, `INSERT INTO alarms (id, type, site_id, device_id, drill, state, raised_at, updated_at, body) VALUES ($1, 'panic', 'sch-01', $2, $3, $4, 1, 1, '{}')`, [id, device, drill, state]);
    expect(await insert('a1', 'btn-1', false)).toBeUndefined();
    expect(await insert('a2', 'btn-1', false)).toBe('23505');
    expect(await insert('a3', 'btn-1', true)).toBeUndefined(); // a drill beside a real one
    expect(await insert('a4', null, false)).toBeUndefined();
    expect(await insert('a5', null, false)).toBe('23505'); // a site-level alarm (no device) too
    await db.query(`UPDATE alarms SET state = 'resolved' WHERE id = 'a1'`);
    expect(await insert('a6', 'btn-1', false)).toBeUndefined();
    expect(await insert('a7', 'btn-2', false, 'acknowledged')).toBeUndefined();
    expect(await insert('a8', 'btn-2', false)).toBe('23505');
  });

  it('keeps the audit log and sealed sweeps append-only, and a hash chain from forking', async () => {
    const db = pool(await server.freshDatabase());
    await migrate(db);
    const audit = (prev: string, hash: string) =>
      sqlState(db, `INSERT INTO audit (at, actor, action, target, detail, prev_hash, hash) VALUES (1, 'system', 'x', 'y', '{}', $1, $2)`, [prev, hash]);
    expect(await audit('0'.repeat(64), 'h1')).toBeUndefined();
    expect(await audit('h1', 'h2')).toBeUndefined();
    expect(await audit('h1', 'h2-other-node')).toBe('23505'); // two nodes appending after h1: one wins
    expect(await sqlState(db, `UPDATE audit SET actor = 'mallory'`)).toBe('23001');
    expect(await sqlState(db, `DELETE FROM audit`)).toBe('23001');
    expect(await sqlState(db, `TRUNCATE audit`)).toBe('23001');

    await db.query(`INSERT INTO sweeps (id, trigger, state, created_at, total, selection, options, context) VALUES ('s1', 'manual', 'done', 1, 1, '{}', '{}', '{}')`);
    await db.query(`INSERT INTO sweep_results (sweep_id, device_id, failing, body) VALUES ('s1', 'd1', false, '{}')`);
    await db.query(`INSERT INTO sweep_reports (seq, sweep_id, sealed_at, content_hash, prev_hash, hash) VALUES (1, 's1', 2, 'c', 'g', 'r1')`);
    expect(await sqlState(db, `INSERT INTO sweep_results (sweep_id, device_id, failing, body) VALUES ('s1', 'd2', true, '{}')`)).toBe('23001');
    expect(await sqlState(db, `UPDATE sweeps SET state = 'cancelled' WHERE id = 's1'`)).toBe('23001');
    expect(await sqlState(db, `DELETE FROM sweep_results`)).toBe('23001');
    expect(await sqlState(db, `UPDATE sweep_reports SET hash = 'x'`)).toBe('23001');
    await db.query(`INSERT INTO sweeps (id, trigger, state, created_at, total, selection, options, context) VALUES ('s2', 'manual', 'running', 3, 1, '{}', '{}', '{}')`);
    expect(await sqlState(db, `UPDATE sweeps SET state = 'done' WHERE id = 's2'`)).toBeUndefined(); // not sealed yet
  });

  it('refuses a migration edited after it was applied, and rolls back one that fails', async () => {
    const db = pool(await server.freshDatabase());
    await migrate(db);
    const edited: Migration[] = MIGRATIONS.map((m) => ({ ...m, sql: `${m.sql}\n-- edited` }));
    const err = await migrate(db, { migrations: edited }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('GW_ERR_DB_MIGRATION');
    const next = MIGRATIONS.length + 1;
    const failing: Migration[] = [...MIGRATIONS, { version: next, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();' }];
    await expect(migrate(db, { migrations: failing })).rejects.toThrow(new RegExp(`migration ${next} \\(broken\\)`));
    expect((await db.query(`SELECT to_regclass('half_done') AS t`)).rows).toStrictEqual([{ t: null }]);
    expect((await db.query('SELECT max(version) AS v FROM schema_migrations')).rows).toStrictEqual([{ v: MIGRATIONS.length }]);
  });
});

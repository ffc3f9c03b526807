/**
 * PostgreSQL schema migrations, run by every node at start: numbered migrations are applied in
 * order, each once, each in its own transaction (PostgreSQL's DDL is transactional: a failed
 * migration leaves nothing behind), and recorded in `schema_migrations` with a checksum of its
 * SQL. N nodes starting at once queue on one session-level advisory lock
 * (pg_advisory_lock, PostgreSQL 15 §9.27.10): the first applies, the others then find nothing
 * to do. A migration edited after it was applied is refused, not silently skipped.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { GatewayError } from '../../contract/errors.js';
import { INITIAL_SCHEMA } from './migrations/0001-initial.js';
import { CLUSTER_SECRETS } from './migrations/0002-cluster-secrets.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a new migration gets the next number; an applied one is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: INITIAL_SCHEMA },
  { version: 2, name: 'cluster-secrets', sql: CLUSTER_SECRETS },
];

/** The advisory lock key that serializes migration runners (any fixed bigint: 'gwmigr' in ASCII, 0x67776d696772). */
export const MIGRATION_LOCK_KEY = '113762634393458';

export interface MigrateOptions {
  migrations?: readonly Migration[];
  log?: Logger;
  /** How long to wait for another node's migration run before giving up (lock_timeout). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Versions this call applied (empty when another node had already done it). */
  applied: number[];
  /** The highest version now recorded. */
  current: number;
}

const checksum = (sql: string): string => createHash('sha256').update(sql).digest('hex');

export async function migrate(pool: pg.Pool, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = [...(opts.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const client = await pool.connect();
  let broken: Error | undefined;
  // Checked out, the connection is not the pool's to watch: its loss fails the migration instead
  // of an unheard 'error' ending the process.
  const lost = (err: Error) => (broken ??= err);
  client.on('error', lost);
  try {
    // An advisory lock is held by the session: every statement below runs on this one connection.
    await client.query(`SET lock_timeout = ${Math.max(1, Math.round(opts.lockTimeoutMs ?? 60_000))}`);
    try {
      await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    } catch (cause) {
      // 55P03 lock_not_available: lock_timeout ran out while another runner held the lock.
      const why = (cause as { code?: string }).code === '55P03' ? 'another node held the migration lock too long' : 'could not take the migration lock';
      throw new GatewayError('GW_ERR_DB_MIGRATION', `${why}: ${(cause as Error).message}`, { cause });
    }
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Map(
        (await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations')).rows.map((r) => [r.version, r]),
      );
      const applied: number[] = [];
      for (const m of migrations) {
        const seen = done.get(m.version);
        if (seen) {
          if (seen.checksum !== checksum(m.sql)) {
            throw new GatewayError('GW_ERR_DB_MIGRATION', `migration ${m.version} (${m.name}) differs from the one applied on ${seen.name}: migrations are never edited, add a new one`);
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, checksum(m.sql)]);
          await client.query('COMMIT');
        } catch (cause) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new GatewayError('GW_ERR_DB_MIGRATION', `migration ${m.version} (${m.name}): ${(cause as Error).message}`, { cause });
        }
        applied.push(m.version);
        opts.log?.info({ version: m.version, name: m.name }, 'database migration applied');
      }
      const known = new Set(migrations.map((m) => m.version));
      const newer = [...done.keys()].filter((v) => !known.has(v));
      // A newer node migrated further: its migrations are additive, so this node can still run.
      if (newer.length > 0) opts.log?.warn({ versions: newer }, 'the database has migrations this node does not know (a newer node applied them)');
      const current = Math.max(0, ...done.keys(), ...applied);
      return { applied, current };
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch((err: Error) => (broken = err));
      await client.query('RESET lock_timeout').catch((err: Error) => (broken = err));
    }
  } finally {
    // A connection that failed mid-way is destroyed (which also ends any lock it held).
    client.off('error', lost);
    client.release(broken);
  }
}

/**
 * The PostgreSQL connection of the state store: a pg Pool with bounded waits, one place that
 * turns a lost or silent database into GW_ERR_STORE_UNAVAILABLE, transactions, and the outage
 * log (one line when the database goes away, one when it is back).
 *
 * Never hang: a connection attempt gives up after `connectTimeoutMs`, a statement after
 * `statementTimeoutMs` on the server (statement_timeout) and a little later on the client
 * (query_timeout, for a server that stopped answering altogether), and a transaction left idle
 * is ended by the server (idle_in_transaction_session_timeout). A caller waiting on a press's
 * commit therefore learns within seconds that it did not happen, and the device is not
 * acknowledged.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { GatewayError, isGatewayError } from '../../contract/errors.js';

export interface PgDatabaseOptions {
  url: string;
  log?: Logger;
  /** Connections at most (default 10). */
  max?: number;
  /** Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/** bigint columns hold epoch milliseconds and counters, all well inside 2^53: numbers, not strings. */
const INT8 = 20;
const INT8_ARRAY = 1016;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === INT8_ARRAY) {
      const parse = (pg.types.getTypeParser as (oid: number, format: 'text') => (v: string) => string[])(INT8_ARRAY, 'text');
      return (v: string) => parse(v).map(Number);
    }
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as typeof pg.types.getTypeParser,
};

/** Socket-level failures: the database is not there (or the path to it is not). */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
/** node-postgres' own words for a connection that died or never came. */
const CLIENT_GONE = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|connection error|Connection ended/i;

/**
 * Whether a failure means "the database could not be reached or did not answer": SQLSTATE class
 * 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now), 57014 (the statement
 * timed out), class 53 (out of connections, memory, disk), or the client's own socket errors.
 */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (NETWORK.has(code)) return true;
    if (/^08/.test(code) || /^53/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '57014') return true;
  }
  return err instanceof Error && CLIENT_GONE.test(err.message);
}

/**
 * PostgreSQL text cannot hold U+0000 (SQLite can): a NUL a caller sends (a hostile login name)
 * becomes U+FFFD instead of failing the statement. JSON is unaffected (JSON.stringify escapes it).
 */
function storable(values: unknown[] | undefined): unknown[] | undefined {
  if (!values) return values;
  const clean = (v: unknown): unknown => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);
  return values.map((v) => (Array.isArray(v) ? v.map(clean) : clean(v)));
}

/** serialization_failure, deadlock_detected: the transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** A connection, or the pool: what a statement runs on. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export class PgDatabase implements Queryable {
  readonly pool: pg.Pool;
  private ok = true;
  private downSince?: number;

  constructor(private readonly o: PgDatabaseOptions) {
    const statementTimeoutMs = o.statementTimeoutMs ?? 5000;
    this.pool = new pg.Pool({
      connectionString: o.url,
      max: o.max ?? 10,
      connectionTimeoutMillis: o.connectTimeoutMs ?? 2000,
      // The server ends a long statement; the client gives up a little later on a server that is gone silent.
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 1000,
      idle_in_transaction_session_timeout: statementTimeoutMs * 2,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: o.applicationName ?? 'campus-gateway',
      types,
    });
    // An idle connection the server dropped (a restart) reports here, not to any query: without a
    // listener it would end the process.
    this.pool.on('error', (err) => {
      this.o.log?.debug({ err: err.message }, 'idle database connection lost');
      if (isUnavailable(err)) this.down(err);
    });
  }

  available(): boolean {
    return this.ok;
  }

  /** One statement (autocommit). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      const res = await this.pool.query<R>(text, storable(values));
      this.up();
      return res;
    } catch (err) {
      throw this.fail(err);
    }
  }

  /**
   * Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it
   * throws. A serialization failure or deadlock runs it again (a few times).
   */
  async tx<T>(fn: (c: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw this.fail(err);
      }
      let broken: Error | undefined;
      // While checked out the pool no longer listens on the connection: a server that ends it
      // between two statements (a restart, an administrator's terminate) would emit an 'error'
      // nobody hears, and that ends the process. It fails this transaction instead.
      const lost = (err: Error) => {
        broken ??= err;
        this.o.log?.debug({ err: err.message }, 'database connection lost during a transaction');
      };
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const c: Queryable = { query: (text, values) => client.query(text, storable(values)) };
        const out = await fn(c);
        await client.query('COMMIT');
        this.up();
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        if (isUnavailable(err)) broken ??= err as Error;
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < 5) continue;
        throw this.fail(err);
      } finally {
        client.off('error', lost);
        // A connection that failed mid-way is destroyed, not handed to the next caller.
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** A coded GW_ERR_STORE_UNAVAILABLE for an outage; anything else as it was thrown. */
  private fail(err: unknown): unknown {
    if (isGatewayError(err) || !isUnavailable(err)) return err;
    this.down(err);
    return new GatewayError('GW_ERR_STORE_UNAVAILABLE', (err as Error).message || String((err as { code?: unknown }).code), { cause: err });
  }

  private down(err: unknown): void {
    if (!this.ok) return;
    this.ok = false;
    this.downSince = Date.now();
    this.o.log?.error({ err: (err as Error).message, code: (err as { code?: unknown }).code }, 'state database unreachable: nothing that needs it is acknowledged until it is back');
  }

  private up(): void {
    if (this.ok) return;
    this.ok = true;
    this.o.log?.info({ downMs: this.downSince === undefined ? undefined : Date.now() - this.downSince }, 'state database reachable again');
    this.downSince = undefined;
  }
}

/**
 * A real PostgreSQL for integration tests (scripts/lib/postgres-engine.ts): loopback, a free
 * port, a temp folder, fsync off. One server per test file; `freshDatabase()` gives each test an
 * empty database of its own on it. `halt()`/`start()` is an outage on the same port and data.
 */
import pg from 'pg';
import { startPostgres, type PostgresEngine } from '../../scripts/lib/postgres-engine.js';

export interface TestPostgres extends PostgresEngine {
  /** Creates an empty database and returns its URL. */
  freshDatabase(prefix?: string): Promise<string>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const engine = await startPostgres({ durable: false, settings: { max_connections: 200 } });
  let n = 0;
  return Object.assign(engine, {
    async freshDatabase(prefix = 't') {
      const name = `${prefix}_${process.pid}_${++n}`;
      const admin = new pg.Client({ connectionString: engine.urlFor('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return engine.urlFor(name);
    },
  });
}

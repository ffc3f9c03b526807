/**
 * The secrets nodes share (gateway/cluster/runtime.ts: the auth token key, the forwarding key)
 * against a real PostgreSQL, when two nodes start at once: the first node's insert is held
 * uncommitted while the second asks. The second's INSERT … ON CONFLICT DO NOTHING waits, then
 * does nothing, and the SELECT in the same statement read a snapshot without the first node's
 * row: "cluster_secrets: no auth-token-key", and the node did not start (once in a full run of
 * `npm run cluster`). Both nodes must get the same key.
 */
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRuntime } from '../../../gateway/cluster/runtime.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { migrate } from '../../../gateway/store/pg/migrate.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
let url: string;

beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.freshDatabase();
  const p = new pg.Pool({ connectionString: url, max: 1 });
  await migrate(p);
  await p.end();
});
afterAll(async () => {
  await server?.stop();
});

describe('cluster shared secrets', () => {
  it('a node asking while another node\'s first insert is uncommitted gets that node\'s key', async () => {
    const cluster = loadConfig({ env: {}, overrides: { cluster: { nodeId: 'node-2', databaseUrl: url } } }).config.cluster;
    const runtime = new ClusterRuntime({ config: { ...cluster, databaseUrl: url }, log: pino({ level: 'silent' }), clients: () => 0 });
    const first = new pg.Client({ connectionString: url });
    await first.connect();
    try {
      await first.query('BEGIN');
      await first.query(`INSERT INTO cluster_secrets (name, value) VALUES ('auth-token-key', 'key-of-node-1')`);
      // The second node asks now: its statement waits on the first node's row.
      const asked = runtime.sharedTokenKey();
      await waitForLockWait();
      await first.query('COMMIT');
      expect(await asked).toBe('key-of-node-1');
      expect(await runtime.sharedTokenKey()).toBe('key-of-node-1');
    } finally {
      await first.end();
      await runtime.pool.end();
    }
  });
});

/** Until a session of the database waits on a lock (the second node's insert). */
async function waitForLockWait(): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const { rows } = await probe.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if ((rows[0]?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the second node never waited on the first node\'s insert');
  } finally {
    await probe.end();
  }
}

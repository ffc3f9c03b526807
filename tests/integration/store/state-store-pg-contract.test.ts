/**
 * The state store contract on PostgreSQL: a real server started for this file, one database
 * (migrated as a node migrates it at start); more instances are more nodes on that database.
 */
import { afterAll, beforeAll } from 'vitest';
import { openPgStateStore, type PgStateStore } from '../../../gateway/store/pg/state-store.js';
import { stateStoreContract } from '../../contract/state-store-contract.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

stateStoreContract('postgres', async () => {
  const url = await server.freshDatabase('contract');
  const open: PgStateStore[] = [];
  const make = async () => {
    const s = await openPgStateStore({ url });
    open.push(s);
    return s;
  };
  const store = await make();
  return {
    store,
    another: make,
    setChannelSequence: async (channel, last) => {
      await store.db.query('INSERT INTO channel_sequence (channel, last) VALUES ($1, $2) ON CONFLICT (channel) DO UPDATE SET last = EXCLUDED.last', [channel, last]);
    },
    dispose: async () => {
      for (const s of open) await s.close();
    },
  };
});

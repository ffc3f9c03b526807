/** The state store contract on SQLite: one file in a temp dir; more instances open the same file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../../../gateway/store/sqlite/state-store.js';
import { stateStoreContract } from '../../contract/state-store-contract.js';

stateStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'state-sqlite-'));
  const open: SqliteStateStore[] = [];
  const make = () => {
    const s = new SqliteStateStore(dir);
    open.push(s);
    return s;
  };
  const store = make();
  return {
    store,
    another: async () => make(),
    setChannelSequence: async (channel, last) => {
      store.db.prepare('INSERT INTO channel_sequence (channel, last) VALUES (?, ?) ON CONFLICT(channel) DO UPDATE SET last = excluded.last').run(channel, last);
    },
    dispose: async () => {
      for (const s of open) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

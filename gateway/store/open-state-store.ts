/**
 * Picks the state store: PostgreSQL when `cluster.databaseUrl` (DATABASE_URL) is set, with its
 * migrations applied first (once, under the advisory lock: N nodes starting together apply
 * them once); else SQLite in the data dir, the embedded default.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { SqliteStateStore } from './sqlite/state-store.js';
import type { StateStore } from './stores.js';

export interface OpenStateStoreOptions {
  config: GatewayConfig;
  dataDir: string;
  log: Logger;
}

export async function openStateStore(o: OpenStateStoreOptions): Promise<StateStore> {
  const url = o.config.cluster.databaseUrl;
  if (url) {
    // PostgreSQL's client is loaded only in cluster mode.
    const { openPgStateStore } = await import('./pg/state-store.js');
    return openPgStateStore({ url, log: o.log, ...(o.config.cluster.nodeId ? { applicationName: `campus-gateway ${o.config.cluster.nodeId}` } : {}) });
  }
  return new SqliteStateStore(o.dataDir, { checkpointer: { log: o.log } });
}

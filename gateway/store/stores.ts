/**
 * The state store: every repository the core and the operator service need, from one database.
 * Two implementations: SQLite in the data dir (sqlite/state-store.ts, the embedded default) and
 * PostgreSQL (pg/state-store.ts, cluster mode); tests/contract/state-store-contract.ts holds
 * both to the same behaviour. gateway/app.ts picks one (open-state-store.ts).
 */
import type { AuthRepository } from '../auth/repository.js';
import type { Outbox } from '../core/alarms/outbox.js';
import type { AlarmRepository } from '../core/alarms/repository.js';
import type { AuditLog } from '../core/audit/log.js';
import type { BroadcastRepository } from '../core/broadcast/types.js';
import type { DeviceStateRepository } from '../core/devices/state.js';
import type { DrillRepository } from '../core/drills/types.js';
import type { SweepRepository } from '../core/sweeps/types.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface StateStore extends AlarmRepository, AuditLog, DeviceStateRepository {
  readonly kind: StoreKind;
  readonly outbox: Outbox;
  readonly broadcasts: BroadcastRepository;
  readonly sweeps: SweepRepository;
  readonly drills: DrillRepository;
  readonly auth: AuthRepository;
  /** False while the database cannot be reached (the last operation failed for that reason). */
  available(): boolean;
  /**
   * The embedded store's disk (SQLite): `full` is called with true when a write was refused for
   * lack of space (SQLITE_FULL) and with false once probeWrite() succeeds again. PostgreSQL: absent.
   */
  storage?: StorageSignal;
  close(): Promise<void>;
}

/** Storage-full reporting of a store on the local disk (storage-watch.ts listens). */
export interface StorageSignal {
  onFull(listener: (full: boolean, detail: string) => void): void;
  /** Commits a small write that needs fresh pages (~8 KiB), then frees them; rejects while full. */
  probeWrite(): Promise<void>;
}

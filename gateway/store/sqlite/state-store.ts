/**
 * The embedded state store: alarms with their timelines, the append-only audit log, device state
 * that must outlive a restart, outboxes, broadcasts, sweeps, drills, operators, sessions and
 * lockouts, in one SQLite file under the data dir (state.db).
 *
 * better-sqlite3 is synchronous: every method does its whole work (a transaction where it
 * writes more than one row) in the caller's turn and returns a settled promise, so a transport
 * that acknowledges a device after ingest (PUBACK, DC-09 ACK, HTTP 2xx) only does so once the
 * alarm is on disk. One process owns the file, so a transaction read-then-write is atomic. WAL
 * with synchronous=NORMAL survives a process crash (kill -9); only a power loss can lose the last
 * transactions.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { WalCheckpointer } from './checkpointer.js';
import type { Alarm } from '../../contract/types.js';
import { GatewayError } from '../../contract/errors.js';
import { foldRepeat, type AlarmChange, type AlarmQuery, type NewAlarmWrites, type RaiseOutcome, type StoredAlarm, type UpdateOutcome } from '../../core/alarms/repository.js';
import { AUDIT_GENESIS, auditHash, verifyAuditChain, type AuditEntry, type AuditInput, type AuditQuery } from '../../core/audit/log.js';
import type { StateStore, StorageSignal } from '../stores.js';
import { SqliteAuthStore } from './auth-store.js';
import { SqliteBroadcastStore } from './broadcast-store.js';
import { SqliteDrillStore } from './drill-store.js';
import { SqliteOutboxStore } from './outbox-store.js';
import { SqliteSweepStore } from './sweep-store.js';
import { inTransaction } from './transaction.js';

export type { AuditEntry, AuditInput } from '../../core/audit/log.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alarms (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  site_id TEXT NOT NULL,
  device_id TEXT,
  state TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_state ON alarms(state, raised_at);
CREATE INDEX IF NOT EXISTS alarms_site ON alarms(site_id, raised_at);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  ip TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_state (
  device_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (device_id, key)
);
CREATE TABLE IF NOT EXISTS storage_probe (b BLOB);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

/**
 * Columns added after the first release, for files an older gateway created: `drill` (part of an
 * open alarm's identity, as in PostgreSQL) and `version` (one more per committed change).
 */
function upgrade(db: Database.Database): void {
  const columns = new Set((db.prepare(`SELECT name FROM pragma_table_info('alarms')`).all() as { name: string }[]).map((c) => c.name));
  inTransaction(db, () => {
    if (!columns.has('drill')) {
      db.exec('ALTER TABLE alarms ADD COLUMN drill INTEGER NOT NULL DEFAULT 0');
      db.exec(`UPDATE alarms SET drill = CASE WHEN json_extract(body, '$.drill') THEN 1 ELSE 0 END`);
    }
    if (!columns.has('version')) db.exec('ALTER TABLE alarms ADD COLUMN version INTEGER NOT NULL DEFAULT 0');
    db.exec(`CREATE INDEX IF NOT EXISTS alarms_open_key ON alarms(type, site_id, device_id, drill) WHERE state != 'resolved'`);
  });
}

interface AlarmRow {
  body: string;
  version: number;
}

const stored = (r: AlarmRow): StoredAlarm => ({ alarm: JSON.parse(r.body) as Alarm, version: r.version });

/**
 * SQLite result codes that mean the write did not reach the disk (full, I/O error, locked
 * by another process, read-only): the caller must not acknowledge anything that depended on it.
 */
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|PROTOCOL|NOTADB|CORRUPT)/;

export interface SqliteStateStoreOptions {
  /** The database file; default `<dataDir>/state.db`. `:memory:` for tests. */
  file?: string;
  /** SQLite max_page_count: a size limit for the file (tests simulate a full disk with it). */
  maxPageCount?: number;
  /**
   * Run the WAL checkpoints in a thread of their own (checkpointer.ts), not inside whichever
   * commit fills the log (an alarm's, now and then). The gateway sets it; a file only.
   */
  checkpointer?: { log: Logger; everyMs?: number };
}

export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  /** Set with opts.checkpointer. */
  readonly checkpointer: WalCheckpointer | undefined;
  readonly outbox: SqliteOutboxStore;
  readonly broadcasts: SqliteBroadcastStore;
  readonly sweeps: SqliteSweepStore;
  readonly drills: SqliteDrillStore;
  readonly auth: SqliteAuthStore;
  private readonly stmts;
  private ok = true;
  private full = false;
  private readonly fullListeners: ((full: boolean, detail: string) => void)[] = [];
  readonly storage: StorageSignal = {
    onFull: (l) => void this.fullListeners.push(l),
    probeWrite: async () => {
      this.guard(() =>
        inTransaction(this.db, () => {
          this.db.prepare('INSERT INTO storage_probe (b) VALUES (zeroblob(8192))').run();
          this.db.prepare('DELETE FROM storage_probe').run();
        }),
      );
      this.setFull(false, 'a write went through');
    },
  };

  constructor(dataDir: string, opts: SqliteStateStoreOptions = {}) {
    const file = opts.file ?? join(dataDir, 'state.db');
    if (file !== ':memory:') mkdirSync(dataDir, { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    if (opts.maxPageCount !== undefined) this.db.pragma(`max_page_count = ${Math.floor(opts.maxPageCount)}`);
    this.db.exec(SCHEMA);
    upgrade(this.db);
    if (opts.checkpointer && file !== ':memory:') {
      this.checkpointer = new WalCheckpointer(file, { ...opts.checkpointer, setAutoCheckpoint: (pages) => this.db.open && this.db.pragma(`wal_autocheckpoint = ${pages}`) });
      this.checkpointer.start();
    }
    const guard = <T>(fn: () => T): T => this.guard(fn);
    this.outbox = new SqliteOutboxStore(this.db, guard);
    this.broadcasts = new SqliteBroadcastStore(this.db, guard);
    this.sweeps = new SqliteSweepStore(this.db, guard);
    this.drills = new SqliteDrillStore(this.db, guard);
    this.auth = new SqliteAuthStore(this.db, guard);
    this.stmts = {
      insertAlarm: this.db.prepare(
        `INSERT INTO alarms (id, type, site_id, device_id, drill, state, raised_at, updated_at, version, body)
         VALUES (@id, @type, @siteId, @deviceId, @drill, @state, @raisedAt, @updatedAt, 0, @body)`,
      ),
      updateAlarm: this.db.prepare(`UPDATE alarms SET state = @state, updated_at = @updatedAt, body = @body, version = version + 1 WHERE id = @id AND version = @version`),
      openByKey: this.db.prepare<{ type: string; siteId: string; deviceId: string; drill: number }, AlarmRow>(
        `SELECT body, version FROM alarms WHERE type = @type AND site_id = @siteId AND COALESCE(device_id, '') = @deviceId AND drill = @drill AND state != 'resolved'
         ORDER BY raised_at LIMIT 1`,
      ),
      getAlarm: this.db.prepare<[string], AlarmRow>('SELECT body, version FROM alarms WHERE id = ?'),
      openAlarms: this.db.prepare<[], AlarmRow>(`SELECT body, version FROM alarms WHERE state != 'resolved' ORDER BY raised_at`),
      lastAudit: this.db.prepare<[], { hash: string }>('SELECT hash FROM audit ORDER BY seq DESC LIMIT 1'),
      insertAudit: this.db.prepare(
        `INSERT INTO audit (at, actor, action, target, detail, ip, prev_hash, hash)
         VALUES (@at, @actor, @action, @target, @detail, @ip, @prevHash, @hash)`,
      ),
      setDeviceState: this.db.prepare(
        `INSERT INTO device_state (device_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT(device_id, key) DO UPDATE SET value = excluded.value`,
      ),
      allDeviceState: this.db.prepare<[string], { device_id: string; value: string }>('SELECT device_id, value FROM device_state WHERE key = ?'),
    };
  }

  available(): boolean {
    return this.ok;
  }

  /** Runs `fn` in the caller's turn; a failure to reach the disk becomes GW_ERR_STORE_UNAVAILABLE. */
  private guard<T>(fn: () => T): T {
    try {
      const out = fn();
      this.ok = true;
      return out;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && UNAVAILABLE.test(code)) {
        this.ok = false;
        if (code === 'SQLITE_FULL') this.setFull(true, (err as Error).message);
        throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', `${code}: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  }

  private setFull(full: boolean, detail: string): void {
    if (this.full === full) return;
    this.full = full;
    for (const l of this.fullListeners) {
      try {
        l(full, detail);
      } catch {
        // A listener's failure is its own (storage-watch.ts logs); the store carries on.
      }
    }
  }

  // ── alarms ───────────────────────────────────────────────────────────────────────────

  async raiseAlarm(candidate: Alarm, withNew?: NewAlarmWrites): Promise<RaiseOutcome> {
    return this.guard(() =>
      inTransaction(this.db, (): RaiseOutcome => {
        const open = this.stmts.openByKey.get({ type: candidate.type, siteId: candidate.siteId, deviceId: candidate.deviceId ?? '', drill: candidate.drill ? 1 : 0 });
        if (open) {
          const was = stored(open);
          const folded = foldRepeat(was.alarm, candidate.updatedAt);
          this.writeAlarm(folded, was.version);
          return { alarm: folded, version: was.version + 1, created: false, queued: [] };
        }
        const queued = (withNew?.outbox ?? []).map((r) => this.outbox.enqueueNow(r));
        const alarm = withNew ? withNew.complete(candidate, queued) : candidate;
        this.stmts.insertAlarm.run({
          id: alarm.id,
          type: alarm.type,
          siteId: alarm.siteId,
          deviceId: alarm.deviceId ?? null,
          drill: alarm.drill ? 1 : 0,
          state: alarm.state,
          raisedAt: alarm.raisedAt,
          updatedAt: alarm.updatedAt,
          body: JSON.stringify(alarm),
        });
        return { alarm, version: 0, created: true, queued };
      }),
    );
  }

  async updateAlarm(id: string, change: AlarmChange, _seen?: StoredAlarm): Promise<UpdateOutcome | undefined> {
    // One process, one connection: read and write in one transaction cannot meet another writer.
    return this.guard(() =>
      inTransaction(this.db, (): UpdateOutcome | undefined => {
        const row = this.stmts.getAlarm.get(id);
        if (!row) return undefined;
        const current = stored(row);
        const next = change(current.alarm);
        if (!next) return { ...current, changed: false };
        this.writeAlarm(next, current.version);
        return { alarm: next, version: current.version + 1, changed: true };
      }),
    );
  }

  private writeAlarm(alarm: Alarm, version: number): void {
    const info = this.stmts.updateAlarm.run({ id: alarm.id, state: alarm.state, updatedAt: alarm.updatedAt, body: JSON.stringify(alarm), version });
    if (info.changes !== 1) throw new GatewayError('GW_ERR_STORE_CONFLICT', `alarm ${alarm.id} changed under a transaction`);
  }

  async getAlarm(id: string): Promise<StoredAlarm | undefined> {
    return this.guard(() => {
      const row = this.stmts.getAlarm.get(id);
      return row ? stored(row) : undefined;
    });
  }

  async openAlarms(): Promise<StoredAlarm[]> {
    return this.guard(() => this.stmts.openAlarms.all().map(stored));
  }

  async queryAlarms(q: AlarmQuery): Promise<Alarm[]> {
    return this.guard(() => {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: q.limit ?? 500 };
      if (q.state === 'open') where.push(`state != 'resolved'`);
      else if (q.state) {
        where.push('state = @state');
        params.state = q.state;
      }
      if (q.siteIds) {
        where.push('site_id IN (SELECT value FROM json_each(@siteIds))');
        params.siteIds = JSON.stringify(q.siteIds);
      }
      const sql = `SELECT body FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC LIMIT @limit`;
      return (this.db.prepare(sql).all(params) as { body: string }[]).map((r) => JSON.parse(r.body) as Alarm);
    });
  }

  // ── audit ────────────────────────────────────────────────────────────────────────────

  async audit(e: AuditInput): Promise<AuditEntry> {
    return this.guard(() =>
      inTransaction(this.db, () => {
        const prevHash = this.stmts.lastAudit.get()?.hash ?? AUDIT_GENESIS;
        const hash = auditHash(prevHash, e);
        const info = this.stmts.insertAudit.run({
          at: e.at,
          actor: e.actor,
          action: e.action,
          target: e.target,
          detail: JSON.stringify(e.detail),
          ip: e.ip ?? null,
          prevHash,
          hash,
        });
        return { ...e, seq: Number(info.lastInsertRowid), prevHash, hash };
      }),
    );
  }

  async auditEntries(q: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.guard(() => this.auditRows(q));
  }

  private auditRows(q: AuditQuery): AuditEntry[] {
    const where = ['seq > @after'];
    if (q.action !== undefined) where.push('action = @action');
    if (q.actor !== undefined) where.push('actor = @actor');
    const rows = this.db
      .prepare(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`)
      .all({ after: q.afterSeq ?? 0, limit: q.limit ?? 1000, action: q.action ?? null, actor: q.actor ?? null }) as {
      seq: number; at: number; actor: string; action: string; target: string; detail: string; ip: string | null; prev_hash: string; hash: string;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
      ...(r.ip ? { ip: r.ip } : {}),
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  async auditCount(): Promise<number> {
    return this.guard(() => (this.db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n);
  }

  async lastAuditOf(action: string): Promise<AuditEntry | undefined> {
    return this.guard(() => {
      const row = this.db.prepare('SELECT seq FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1').get(action) as { seq: number } | undefined;
      return row ? this.auditRows({ afterSeq: row.seq - 1, limit: 1 })[0] : undefined;
    });
  }

  verifyAudit(): Promise<number | undefined> {
    return verifyAuditChain((afterSeq) => this.auditEntries({ afterSeq, limit: 1000 }));
  }

  // ── device state ─────────────────────────────────────────────────────────────────────

  async setDeviceState(deviceId: string, key: string, value: unknown): Promise<void> {
    this.guard(() => this.stmts.setDeviceState.run(deviceId, key, JSON.stringify(value)));
  }

  async setDeviceStates(key: string, values: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    if (values.length === 0) return;
    this.guard(() =>
      inTransaction(this.db, () => {
        for (const [deviceId, value] of values) this.stmts.setDeviceState.run(deviceId, key, JSON.stringify(value));
      }),
    );
  }

  async deviceStates<T>(key: string): Promise<Map<string, T>> {
    return this.guard(() => new Map(this.stmts.allDeviceState.all(key).map((r) => [r.device_id, JSON.parse(r.value) as T])));
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }
}

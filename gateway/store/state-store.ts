/**
 * Durable state: alarms with their timelines, the append-only audit log, device state that
 * must outlive a restart, and outboxes for far ends. One SQLite file under the data dir.
 *
 * Writes are synchronous and committed before the caller returns, so a transport that
 * acknowledges a device after ingest (PUBACK, DC-09 ACK, HTTP 2xx) only does so once the
 * alarm is on disk. WAL with synchronous=NORMAL survives a process crash (kill -9); only
 * a power loss can lose the last transactions.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Alarm, AlarmState } from '../contract/types.js';
import { OutboxStore } from './outbox-store.js';

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  ip?: string;
  prevHash: string;
  hash: string;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

export interface AlarmQuery {
  state?: AlarmState | 'open';
  /** Only alarms of these sites (an empty list matches none); omitted: every site. */
  siteIds?: readonly string[];
  limit?: number;
}

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
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

const GENESIS = '0'.repeat(64);

export function auditHash(prevHash: string, e: AuditInput): string {
  return createHash('sha256')
    .update(JSON.stringify([prevHash, e.at, e.actor, e.action, e.target, e.detail, e.ip ?? null]))
    .digest('hex');
}

interface AlarmRow {
  body: string;
}

export class StateStore {
  readonly db: Database.Database;
  readonly outbox: OutboxStore;
  private readonly stmts;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'state.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.outbox = new OutboxStore(this.db);
    this.stmts = {
      upsertAlarm: this.db.prepare(
        `INSERT INTO alarms (id, type, site_id, device_id, state, raised_at, updated_at, body)
         VALUES (@id, @type, @siteId, @deviceId, @state, @raisedAt, @updatedAt, @body)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, body = excluded.body`,
      ),
      getAlarm: this.db.prepare<[string], AlarmRow>('SELECT body FROM alarms WHERE id = ?'),
      openAlarms: this.db.prepare<[], AlarmRow>(`SELECT body FROM alarms WHERE state != 'resolved' ORDER BY raised_at`),
      lastAudit: this.db.prepare<[], { hash: string }>('SELECT hash FROM audit ORDER BY seq DESC LIMIT 1'),
      insertAudit: this.db.prepare(
        `INSERT INTO audit (at, actor, action, target, detail, ip, prev_hash, hash)
         VALUES (@at, @actor, @action, @target, @detail, @ip, @prevHash, @hash)`,
      ),
      setDeviceState: this.db.prepare(
        `INSERT INTO device_state (device_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT(device_id, key) DO UPDATE SET value = excluded.value`,
      ),
      allDeviceState: this.db.prepare<[string], { device_id: string; value: string }>(
        'SELECT device_id, value FROM device_state WHERE key = ?',
      ),
    };
  }

  /** Runs `fn` as one SQLite transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  saveAlarm(alarm: Alarm): void {
    this.stmts.upsertAlarm.run({
      id: alarm.id,
      type: alarm.type,
      siteId: alarm.siteId,
      deviceId: alarm.deviceId ?? null,
      state: alarm.state,
      raisedAt: alarm.raisedAt,
      updatedAt: alarm.updatedAt,
      body: JSON.stringify(alarm),
    });
  }

  getAlarm(id: string): Alarm | undefined {
    const row = this.stmts.getAlarm.get(id);
    return row ? (JSON.parse(row.body) as Alarm) : undefined;
  }

  openAlarms(): Alarm[] {
    return this.stmts.openAlarms.all().map((r) => JSON.parse(r.body) as Alarm);
  }

  queryAlarms(q: AlarmQuery): Alarm[] {
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
    return (this.db.prepare(sql).all(params) as AlarmRow[]).map((r) => JSON.parse(r.body) as Alarm);
  }

  /** Appends to the hash-chained audit log; returns the stored entry. */
  audit(e: AuditInput): AuditEntry {
    return this.db.transaction(() => {
      const prevHash = this.stmts.lastAudit.get()?.hash ?? GENESIS;
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
    })();
  }

  auditEntries(opts: { afterSeq?: number; limit?: number; action?: string; actor?: string } = {}): AuditEntry[] {
    const where = ['seq > @after'];
    if (opts.action !== undefined) where.push('action = @action');
    if (opts.actor !== undefined) where.push('actor = @actor');
    const rows = this.db
      .prepare(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`)
      .all({ after: opts.afterSeq ?? 0, limit: opts.limit ?? 1000, action: opts.action ?? null, actor: opts.actor ?? null }) as {
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

  auditCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n;
  }

  /** The newest entry with this action, if any. */
  lastAuditOf(action: string): AuditEntry | undefined {
    const row = this.db.prepare('SELECT seq FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1').get(action) as { seq: number } | undefined;
    return row ? this.auditEntries({ afterSeq: row.seq - 1, limit: 1 })[0] : undefined;
  }

  /** Re-computes the chain; returns the first broken sequence number, or undefined. */
  verifyAudit(): number | undefined {
    let prev = GENESIS;
    let after = 0;
    for (;;) {
      const batch = this.auditEntries({ afterSeq: after, limit: 1000 });
      if (batch.length === 0) return undefined;
      for (const e of batch) {
        if (e.prevHash !== prev || auditHash(prev, e) !== e.hash) return e.seq;
        prev = e.hash;
        after = e.seq;
      }
    }
  }

  setDeviceState(deviceId: string, key: string, value: unknown): void {
    this.stmts.setDeviceState.run(deviceId, key, JSON.stringify(value));
  }

  deviceStates<T>(key: string): Map<string, T> {
    return new Map(this.stmts.allDeviceState.all(key).map((r) => [r.device_id, JSON.parse(r.value) as T]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

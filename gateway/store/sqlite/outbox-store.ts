/**
 * Durable outbox for far ends (the 110 centre first) in SQLite: an entry is written in the same
 * synchronous transaction that accepts the alarm (enqueueNow, called by the alarm store's raise),
 * survives a crash, and leaves the outbox once the far end has acknowledged it. Each channel
 * numbers its entries (DC-09 sequence 1..9999) at enqueue time, so a retry carries the same
 * number and the receiver can drop a duplicate.
 */
import type Database from 'better-sqlite3';
import { SEQUENCE_WRAP, type Outbox, type OutboxEntry, type OutboxKind, type OutboxRequest, type OutboxState } from '../../core/alarms/outbox.js';
import { inTransaction } from './transaction.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  alarm_id TEXT,
  device_id TEXT,
  site_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(channel, state, next_at);
CREATE UNIQUE INDEX IF NOT EXISTS outbox_alarm ON outbox(channel, alarm_id) WHERE alarm_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS channel_sequence (channel TEXT PRIMARY KEY, last INTEGER NOT NULL);
`;

interface Row {
  id: string;
  channel: string;
  kind: OutboxKind;
  alarm_id: string | null;
  device_id: string | null;
  site_id: string;
  sequence: number;
  state: OutboxState;
  attempts: number;
  created_at: number;
  next_at: number;
  last_error: string | null;
}

const fromRow = (r: Row): OutboxEntry => ({
  id: r.id,
  channel: r.channel,
  kind: r.kind,
  ...(r.alarm_id ? { alarmId: r.alarm_id } : {}),
  ...(r.device_id ? { deviceId: r.device_id } : {}),
  siteId: r.site_id,
  sequence: r.sequence,
  state: r.state,
  attempts: r.attempts,
  createdAt: r.created_at,
  nextAt: r.next_at,
  ...(r.last_error ? { lastError: r.last_error } : {}),
});

export class SqliteOutboxStore implements Outbox {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly guard: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    db.exec(SCHEMA);
    this.stmts = {
      nextSeq: db.prepare<[string], { last: number }>(
        `INSERT INTO channel_sequence (channel, last) VALUES (?, 1)
         ON CONFLICT(channel) DO UPDATE SET last = CASE WHEN last >= ${SEQUENCE_WRAP} THEN 1 ELSE last + 1 END
         RETURNING last`,
      ),
      insert: db.prepare(
        `INSERT OR IGNORE INTO outbox (id, channel, kind, alarm_id, device_id, site_id, sequence, state, attempts, created_at, next_at)
         VALUES (@id, @channel, @kind, @alarmId, @deviceId, @siteId, @sequence, 'queued', 0, @createdAt, @createdAt)`,
      ),
      byAlarm: db.prepare<[string, string], Row>('SELECT * FROM outbox WHERE channel = ? AND alarm_id = ?'),
      pending: db.prepare<[string], Row>(
        // Alarms before test reports, then oldest first.
        `SELECT * FROM outbox WHERE channel = ? AND state = 'queued' ORDER BY CASE kind WHEN 'alarm-report' THEN 0 ELSE 1 END, created_at`,
      ),
      acked: db.prepare(`UPDATE outbox SET state = 'acked', attempts = attempts + 1, last_error = NULL WHERE id = ?`),
      failed: db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`),
      abandon: db.prepare(`UPDATE outbox SET state = 'abandoned', last_error = ? WHERE id = ?`),
      get: db.prepare<[string], Row>('SELECT * FROM outbox WHERE id = ?'),
    };
  }

  /** Adds an entry in the caller's transaction (a raise's); an alarm is queued once per channel. */
  enqueueNow(e: OutboxRequest): OutboxEntry {
    return inTransaction(this.db, () => {
      if (e.alarmId) {
        const existing = this.stmts.byAlarm.get(e.channel, e.alarmId);
        if (existing) return fromRow(existing);
      }
      const sequence = this.stmts.nextSeq.get(e.channel)?.last ?? 1;
      this.stmts.insert.run({ ...e, alarmId: e.alarmId ?? null, deviceId: e.deviceId ?? null, sequence });
      return fromRow(this.stmts.get.get(e.id) as Row);
    });
  }

  async enqueue(e: OutboxRequest): Promise<OutboxEntry> {
    return this.guard(() => this.enqueueNow(e));
  }

  async forAlarm(channel: string, alarmId: string): Promise<OutboxEntry | undefined> {
    return this.guard(() => {
      const r = this.stmts.byAlarm.get(channel, alarmId);
      return r ? fromRow(r) : undefined;
    });
  }

  async pending(channel: string): Promise<OutboxEntry[]> {
    return this.guard(() => this.stmts.pending.all(channel).map(fromRow));
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    return this.guard(() => {
      const r = this.stmts.get.get(id);
      return r ? fromRow(r) : undefined;
    });
  }

  async markAcked(id: string): Promise<void> {
    this.guard(() => this.stmts.acked.run(id));
  }

  async markFailed(id: string, nextAt: number, error: string): Promise<void> {
    this.guard(() => this.stmts.failed.run(nextAt, error, id));
  }

  async abandon(id: string, why: string): Promise<void> {
    this.guard(() => this.stmts.abandon.run(why, id));
  }
}

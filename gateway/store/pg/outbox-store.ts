/**
 * The outbox towards far ends on PostgreSQL. A sequence number is taken from the channel's row
 * of channel_sequence in the enqueue's own statement (the row lock orders every node's
 * enqueues on a channel) and stored with the entry before anything is sent, so whichever node
 * sends it, a retry carries the same number (SIA DC-09 5.5.1.5). NOTIFY outbox '<channel>'
 * goes out with the commit, so a lease holder's pump wakes at once.
 */
import { GatewayError } from '../../contract/errors.js';
import { SEQUENCE_WRAP, type Outbox, type OutboxEntry, type OutboxFence, type OutboxKind, type OutboxRequest, type OutboxState } from '../../core/alarms/outbox.js';
import { fenceCondition } from './fence.js';
import type { PgDatabase, Queryable } from './database.js';

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

export const entryOf = (r: Row): OutboxEntry => ({
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

const COLUMNS = 'id, channel, kind, alarm_id, device_id, site_id, sequence, state, attempts, created_at, next_at, last_error';

/**
 * Next sequence (1..9999, wrapping) and the entry, one statement. An entry for an alarm already
 * queued on the channel is not inserted (unique (channel, alarm_id)): no row comes back.
 */
const ENQUEUE_SQL = `
WITH seq AS (
  INSERT INTO channel_sequence AS s (channel, last) VALUES ($2, 1)
  ON CONFLICT (channel) DO UPDATE SET last = CASE WHEN s.last >= ${SEQUENCE_WRAP} THEN 1 ELSE s.last + 1 END
  RETURNING last
), entry AS (
  INSERT INTO outbox (id, channel, kind, alarm_id, device_id, site_id, sequence, state, attempts, created_at, next_at)
  SELECT $1, $2, $3, $4, $5, $6, seq.last, 'queued', 0, $7, $7 FROM seq
  ON CONFLICT (channel, alarm_id) WHERE alarm_id IS NOT NULL DO NOTHING
  RETURNING ${COLUMNS}
)
SELECT entry.*, pg_notify('outbox', entry.channel) FROM entry`;

/** Queues one entry on the caller's connection (inside a raise's transaction). */
export async function enqueueIn(c: Queryable, e: OutboxRequest): Promise<OutboxEntry> {
  const { rows } = await c.query<Row>(ENQUEUE_SQL, [e.id, e.channel, e.kind, e.alarmId ?? null, e.deviceId ?? null, e.siteId, e.createdAt]);
  if (rows[0]) return entryOf(rows[0]);
  // Queued meanwhile by another node: that entry, with its number.
  const existing = await c.query<Row>(`SELECT ${COLUMNS} FROM outbox WHERE channel = $1 AND alarm_id = $2`, [e.channel, e.alarmId ?? null]);
  if (!existing.rows[0]) throw new Error(`outbox entry for alarm ${e.alarmId ?? '?'} on ${e.channel} neither inserted nor found`);
  return entryOf(existing.rows[0]);
}

export class PgOutboxStore implements Outbox {
  constructor(
    private readonly db: PgDatabase,
    private readonly fence?: OutboxFence,
  ) {}


  async enqueue(e: OutboxRequest): Promise<OutboxEntry> {
    if (e.alarmId) {
      // Already queued: the number it has, and none used up.
      const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM outbox WHERE channel = $1 AND alarm_id = $2`, [e.channel, e.alarmId]);
      if (rows[0]) return entryOf(rows[0]);
    }
    return this.db.tx((c) => enqueueIn(c, e));
  }

  async forAlarm(channel: string, alarmId: string): Promise<OutboxEntry | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM outbox WHERE channel = $1 AND alarm_id = $2`, [channel, alarmId]);
    return rows[0] ? entryOf(rows[0]) : undefined;
  }

  async pending(channel: string): Promise<OutboxEntry[]> {
    const { rows } = await this.db.query<Row>(
      // Alarms before test reports, then oldest first.
      `SELECT ${COLUMNS} FROM outbox WHERE channel = $1 AND state = 'queued' ORDER BY CASE kind WHEN 'alarm-report' THEN 0 ELSE 1 END, created_at, id`,
      [channel],
    );
    return rows.map(entryOf);
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM outbox WHERE id = $1`, [id]);
    return rows[0] ? entryOf(rows[0]) : undefined;
  }

  async markAcked(id: string): Promise<void> {
    await this.write(`UPDATE outbox SET state = 'acked', attempts = attempts + 1, last_error = NULL WHERE id = $1`, [id]);
  }

  async markFailed(id: string, nextAt: number, error: string): Promise<void> {
    await this.write('UPDATE outbox SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1', [id, nextAt, error]);
  }

  async abandon(id: string, why: string): Promise<void> {
    await this.write(`UPDATE outbox SET state = 'abandoned', last_error = $2 WHERE id = $1`, [id, why]);
  }

  fenced(fence: OutboxFence): Outbox {
    return new PgOutboxStore(this.db, fence);
  }

  /**
   * A delivery write; fenced, it changes the row only while the lease token is current (one
   * statement: the check and the write are atomic), and a refusal is GW_ERR_LEASE_LOST.
   */
  private async write(sql: string, values: unknown[]): Promise<void> {
    if (!this.fence) {
      await this.db.query(sql, values);
      return;
    }
    const n = values.length;
    const res = await this.db.query(`${sql} AND ${fenceCondition(`$${n + 1}`, `$${n + 2}`)} RETURNING id`, [...values, this.fence.lease, this.fence.token]);
    if (res.rowCount === 0 && (await this.get(values[0] as string))) throw new GatewayError('GW_ERR_LEASE_LOST', this.fence.lease);
  }
}

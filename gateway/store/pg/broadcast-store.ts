/**
 * Broadcasts and their recipients on PostgreSQL: one row per broadcast and one per recipient,
 * so a receipt rewrites one small row (a 1,000-person roll-call makes thousands of changes a
 * minute). A broadcast and all its recipients are inserted in one transaction.
 */
import type { Broadcast, BroadcastQuery, BroadcastRecipient, BroadcastRepository, BroadcastSummary, Tally } from '../../core/broadcast/types.js';
import type { PgDatabase } from './database.js';

interface SummaryRow {
  tally: Tally;
  body: Omit<BroadcastSummary, 'tally'>;
}

const summaryOf = (r: SummaryRow): BroadcastSummary => ({ ...r.body, tally: r.tally });

function bodyOf(b: BroadcastSummary): string {
  const { tally: _tally, ...rest } = b;
  return JSON.stringify(rest);
}

export class PgBroadcastStore implements BroadcastRepository {
  constructor(private readonly db: PgDatabase) {}

  async insertBroadcast(b: Broadcast): Promise<void> {
    const { recipients, ...summary } = b;
    await this.db.tx(async (c) => {
      await c.query('INSERT INTO broadcasts (id, alarm_id, state, created_at, tally, body) VALUES ($1, $2, $3, $4, $5, $6)', [
        b.id,
        b.alarmId ?? null,
        b.state,
        b.createdAt,
        JSON.stringify(b.tally),
        bodyOf(summary),
      ]);
      if (recipients.length === 0) return;
      // Every recipient in one statement: a 1,000-person broadcast is one round trip, not 1,000.
      await c.query(
        `INSERT INTO broadcast_recipients (broadcast_id, id, seq, state, body)
         SELECT $1, r.id, r.seq, r.state, r.body FROM unnest($2::text[], $3::int[], $4::text[], $5::jsonb[]) AS r(id, seq, state, body)`,
        [b.id, recipients.map((r) => r.id), recipients.map((_, i) => i), recipients.map((r) => r.state), recipients.map((r) => JSON.stringify(r))],
      );
    });
  }

  async updateBroadcast(b: BroadcastSummary): Promise<void> {
    await this.db.query('UPDATE broadcasts SET state = $2, tally = $3, body = $4 WHERE id = $1', [b.id, b.state, JSON.stringify(b.tally), bodyOf(b)]);
  }

  async updateRecipient(broadcastId: string, r: BroadcastRecipient, tally: Tally): Promise<void> {
    // Both rows in one statement (one transaction): the tally never disagrees with the recipients.
    await this.db.query(
      `WITH person AS (UPDATE broadcast_recipients SET state = $3, body = $4 WHERE broadcast_id = $1 AND id = $2)
       UPDATE broadcasts SET tally = $5 WHERE id = $1`,
      [broadcastId, r.id, r.state, JSON.stringify(r), JSON.stringify(tally)],
    );
  }

  async getBroadcast(id: string): Promise<Broadcast | undefined> {
    const { rows } = await this.db.query<SummaryRow>('SELECT tally, body FROM broadcasts WHERE id = $1', [id]);
    if (!rows[0]) return undefined;
    const people = await this.db.query<{ body: BroadcastRecipient }>('SELECT body FROM broadcast_recipients WHERE broadcast_id = $1 ORDER BY seq', [id]);
    return { ...summaryOf(rows[0]), recipients: people.rows.map((r) => r.body) };
  }

  async listBroadcasts(q: BroadcastQuery = {}): Promise<BroadcastSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.alarmId) {
      params.push(q.alarmId);
      where.push(`alarm_id = $${params.length}`);
    }
    if (q.state) {
      params.push(q.state);
      where.push(`state = $${params.length}`);
    }
    params.push(q.limit ?? 50);
    const { rows } = await this.db.query<SummaryRow>(
      `SELECT tally, body FROM broadcasts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(summaryOf);
  }

  async openBroadcasts(): Promise<Broadcast[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM broadcasts WHERE state = 'open' ORDER BY created_at, id`);
    const out: Broadcast[] = [];
    for (const r of rows) {
      const b = await this.getBroadcast(r.id);
      if (b) out.push(b);
    }
    return out;
  }

  async hasBroadcastForAlarm(alarmId: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM broadcasts WHERE alarm_id = $1 LIMIT 1', [alarmId]);
    return rows.length > 0;
  }
}

/**
 * Broadcasts and their recipients in the embedded SQLite database (state.db). One row per
 * broadcast and one per recipient, so a receipt rewrites one small row, not the whole
 * broadcast: a 1,000-person roll-call makes thousands of changes in a minute.
 */
import type Database from 'better-sqlite3';
import type { Broadcast, BroadcastQuery, BroadcastRecipient, BroadcastRepository, BroadcastSummary, Tally } from '../../core/broadcast/types.js';
import { inTransaction } from './transaction.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS broadcasts (
  id TEXT PRIMARY KEY,
  alarm_id TEXT,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  tally TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS broadcasts_created ON broadcasts(created_at);
CREATE INDEX IF NOT EXISTS broadcasts_alarm ON broadcasts(alarm_id);
CREATE INDEX IF NOT EXISTS broadcasts_state ON broadcasts(state, created_at);
CREATE TABLE IF NOT EXISTS broadcast_recipients (
  broadcast_id TEXT NOT NULL,
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (broadcast_id, id)
) WITHOUT ROWID;
`;

interface SummaryRow {
  tally: string;
  body: string;
}

function summaryOf(row: SummaryRow): BroadcastSummary {
  return { ...(JSON.parse(row.body) as Omit<BroadcastSummary, 'tally'>), tally: JSON.parse(row.tally) as Tally };
}

function bodyOf(b: BroadcastSummary): string {
  const { tally: _tally, ...rest } = b;
  return JSON.stringify(rest);
}

export class SqliteBroadcastStore implements BroadcastRepository {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly guard: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    this.db.exec(SCHEMA);
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO broadcasts (id, alarm_id, state, created_at, tally, body) VALUES (@id, @alarmId, @state, @createdAt, @tally, @body)',
      ),
      update: db.prepare('UPDATE broadcasts SET state = @state, tally = @tally, body = @body WHERE id = @id'),
      tally: db.prepare('UPDATE broadcasts SET tally = ? WHERE id = ?'),
      insertRecipient: db.prepare('INSERT INTO broadcast_recipients (broadcast_id, id, seq, state, body) VALUES (?, ?, ?, ?, ?)'),
      updateRecipient: db.prepare('UPDATE broadcast_recipients SET state = ?, body = ? WHERE broadcast_id = ? AND id = ?'),
      get: db.prepare<[string], SummaryRow>('SELECT tally, body FROM broadcasts WHERE id = ?'),
      recipients: db.prepare<[string], { body: string }>('SELECT body FROM broadcast_recipients WHERE broadcast_id = ? ORDER BY seq'),
      open: db.prepare<[], { id: string }>(`SELECT id FROM broadcasts WHERE state = 'open' ORDER BY created_at`),
      forAlarm: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM broadcasts WHERE alarm_id = ?'),
    };
  }

  async insertBroadcast(b: Broadcast): Promise<void> {
    const { recipients, ...summary } = b;
    this.guard(() =>
      inTransaction(this.db, () => {
        this.stmts.insert.run({ id: b.id, alarmId: b.alarmId ?? null, state: b.state, createdAt: b.createdAt, tally: JSON.stringify(b.tally), body: bodyOf(summary) });
        recipients.forEach((r, i) => this.stmts.insertRecipient.run(b.id, r.id, i, r.state, JSON.stringify(r)));
      }),
    );
  }

  async updateBroadcast(b: BroadcastSummary): Promise<void> {
    this.guard(() => this.stmts.update.run({ id: b.id, state: b.state, tally: JSON.stringify(b.tally), body: bodyOf(b) }));
  }

  async updateRecipient(broadcastId: string, r: BroadcastRecipient, tally: Tally): Promise<void> {
    this.guard(() =>
      inTransaction(this.db, () => {
        this.stmts.updateRecipient.run(r.state, JSON.stringify(r), broadcastId, r.id);
        this.stmts.tally.run(JSON.stringify(tally), broadcastId);
      }),
    );
  }

  async getBroadcast(id: string): Promise<Broadcast | undefined> {
    return this.guard(() => this.read(id));
  }

  private read(id: string): Broadcast | undefined {
    const row = this.stmts.get.get(id);
    if (!row) return undefined;
    return { ...summaryOf(row), recipients: this.stmts.recipients.all(id).map((r) => JSON.parse(r.body) as BroadcastRecipient) };
  }

  async listBroadcasts(q: BroadcastQuery = {}): Promise<BroadcastSummary[]> {
    return this.guard(() => {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: q.limit ?? 50 };
      if (q.alarmId) {
        where.push('alarm_id = @alarmId');
        params.alarmId = q.alarmId;
      }
      if (q.state) {
        where.push('state = @state');
        params.state = q.state;
      }
      const sql = `SELECT tally, body FROM broadcasts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT @limit`;
      return (this.db.prepare(sql).all(params) as SummaryRow[]).map(summaryOf);
    });
  }

  async openBroadcasts(): Promise<Broadcast[]> {
    return this.guard(() => this.stmts.open.all().flatMap((r) => this.read(r.id) ?? []));
  }

  async hasBroadcastForAlarm(alarmId: string): Promise<boolean> {
    return this.guard(() => (this.stmts.forAlarm.get(alarmId)?.n ?? 0) > 0);
  }
}

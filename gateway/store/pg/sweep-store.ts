/**
 * Health sweeps on PostgreSQL: sweeps, their results (completion order kept by an identity
 * column), and the hash chain of sealed reports. Sealing takes a transaction-level advisory
 * lock first, so two nodes sealing at once append one after the other and the chain cannot
 * fork (prev_hash UNIQUE is the backstop); the triggers of the schema keep sealed rows as they
 * were. JSON stays text: the report's content hash is recomputed from these rows.
 */
import type { ReportLink, SweepContext, SweepEnd, SweepRecord, SweepRepository, SweepResult, SweepState, SweepSummary } from '../../core/sweeps/types.js';
import { makeLink } from '../../reports/report-chain.js';
import { contentHash, reportContent } from '../../reports/report-model.js';
import type { PgDatabase, Queryable } from './database.js';

interface SweepRow {
  id: string;
  name: string | null;
  trigger: string;
  state: SweepState;
  created_at: number;
  finished_at: number | null;
  total: number;
  selection: string;
  options: string;
  summary: string | null;
  cancel_reason: string | null;
}

interface LinkRow {
  seq: number;
  sweep_id: string;
  sealed_at: number;
  content_hash: string;
  prev_hash: string;
  hash: string;
}

const SWEEP_COLUMNS = 'id, name, trigger, state, created_at, finished_at, total, selection, options, summary, cancel_reason';

function toRecord(r: SweepRow): SweepRecord {
  return {
    id: r.id,
    ...(r.name !== null ? { name: r.name } : {}),
    trigger: r.trigger,
    state: r.state,
    createdAt: r.created_at,
    ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
    total: r.total,
    selection: JSON.parse(r.selection) as SweepRecord['selection'],
    options: JSON.parse(r.options) as SweepRecord['options'],
    ...(r.summary !== null ? { summary: JSON.parse(r.summary) as SweepSummary } : {}),
    ...(r.cancel_reason !== null ? { cancelReason: r.cancel_reason } : {}),
  };
}

const toLink = (r: LinkRow): ReportLink => ({ seq: r.seq, sweepId: r.sweep_id, sealedAt: r.sealed_at, contentHash: r.content_hash, prevHash: r.prev_hash, hash: r.hash });

async function sweepOf(c: Queryable, id: string): Promise<SweepRecord | undefined> {
  const { rows } = await c.query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

async function contextOf(c: Queryable, id: string): Promise<SweepContext | undefined> {
  const { rows } = await c.query<{ context: string }>('SELECT context FROM sweeps WHERE id = $1', [id]);
  return rows[0] ? (JSON.parse(rows[0].context) as SweepContext) : undefined;
}

async function resultsOf(c: Queryable, id: string, failingOnly: boolean): Promise<SweepResult[]> {
  const { rows } = await c.query<{ body: string }>(`SELECT body FROM sweep_results WHERE sweep_id = $1${failingOnly ? ' AND failing' : ''} ORDER BY ord`, [id]);
  return rows.map((r) => JSON.parse(r.body) as SweepResult);
}

export class PgSweepStore implements SweepRepository {
  constructor(
    private readonly db: PgDatabase,
    /** The advisory lock that orders sealers (any fixed bigint). */
    private readonly chainLockKey: string,
  ) {}

  async create(record: SweepRecord, context: SweepContext): Promise<void> {
    await this.db.query(
      `INSERT INTO sweeps (id, name, trigger, state, created_at, total, selection, options, context) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [record.id, record.name ?? null, record.trigger, record.state, record.createdAt, record.total, JSON.stringify(record.selection), JSON.stringify(record.options), JSON.stringify(context)],
    );
  }

  async addResult(sweepId: string, result: SweepResult): Promise<void> {
    const failing = result.status !== 'ok' || result.reasons.length > 0;
    await this.db.query('INSERT INTO sweep_results (sweep_id, device_id, failing, body) VALUES ($1, $2, $3, $4)', [sweepId, result.deviceId, failing, JSON.stringify(result)]);
  }

  async finish(sweepId: string, end: SweepEnd): Promise<ReportLink> {
    return this.db.tx(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${this.chainLockKey})`);
      const updated = await c.query(
        `UPDATE sweeps SET state = $2, finished_at = $3, summary = $4, cancel_reason = $5 WHERE id = $1 AND state = 'running'`,
        [sweepId, end.state, end.finishedAt, JSON.stringify(end.summary), end.cancelReason ?? null],
      );
      if (updated.rowCount !== 1) throw new Error(`sweep ${sweepId} is not running`);
      const [sweep, context, results] = [await sweepOf(c, sweepId), await contextOf(c, sweepId), await resultsOf(c, sweepId, false)];
      if (!sweep || !context) throw new Error(`sweep ${sweepId} vanished while sealing`);
      const head = await c.query<LinkRow>('SELECT * FROM sweep_reports ORDER BY seq DESC LIMIT 1');
      const link = makeLink(head.rows[0] ? toLink(head.rows[0]) : undefined, sweepId, end.finishedAt, contentHash(reportContent(sweep, context, results)));
      await c.query('INSERT INTO sweep_reports (seq, sweep_id, sealed_at, content_hash, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)', [
        link.seq,
        link.sweepId,
        link.sealedAt,
        link.contentHash,
        link.prevHash,
        link.hash,
      ]);
      return link;
    });
  }

  get(id: string): Promise<SweepRecord | undefined> {
    return sweepOf(this.db, id);
  }

  async list(limit = 50): Promise<SweepRecord[]> {
    const { rows } = await this.db.query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY created_at DESC, id DESC LIMIT $1`, [limit]);
    return rows.map(toRecord);
  }

  async running(): Promise<SweepRecord[]> {
    const { rows } = await this.db.query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE state = 'running' ORDER BY created_at, id`);
    return rows.map(toRecord);
  }

  results(sweepId: string, opts: { failingOnly?: boolean } = {}): Promise<SweepResult[]> {
    return resultsOf(this.db, sweepId, opts.failingOnly ?? false);
  }

  async resultCount(sweepId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sweep_results WHERE sweep_id = $1', [sweepId]);
    return rows[0]?.n ?? 0;
  }

  context(sweepId: string): Promise<SweepContext | undefined> {
    return contextOf(this.db, sweepId);
  }

  async link(sweepId: string): Promise<ReportLink | undefined> {
    const { rows } = await this.db.query<LinkRow>('SELECT * FROM sweep_reports WHERE sweep_id = $1', [sweepId]);
    return rows[0] ? toLink(rows[0]) : undefined;
  }

  async linksAfter(seq: number, limit: number): Promise<ReportLink[]> {
    const { rows } = await this.db.query<LinkRow>('SELECT * FROM sweep_reports WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit]);
    return rows.map(toLink);
  }
}

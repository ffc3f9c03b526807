/**
 * Health sweeps in the embedded SQLite file: sweeps, their results (written as each check
 * ends, in completion order = rowid, so a crash loses at most the checks in flight), and the hash chain of sealed
 * reports. Sealed rows are guarded by triggers against the gateway's own mistakes; against a
 * hand with sqlite3 the chain is the guard: verifySweepChain() (reports/sweep-reports.ts)
 * recomputes it from the rows.
 */
import type Database from 'better-sqlite3';
import type { ReportLink, SweepContext, SweepEnd, SweepRecord, SweepRepository, SweepResult, SweepState, SweepSummary } from '../../core/sweeps/types.js';
import { makeLink } from '../../reports/report-chain.js';
import { contentHash, reportContent } from '../../reports/report-model.js';
import { inTransaction } from './transaction.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sweeps (
  id TEXT PRIMARY KEY,
  name TEXT,
  trigger TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  total INTEGER NOT NULL,
  selection TEXT NOT NULL,
  options TEXT NOT NULL,
  context TEXT NOT NULL,
  summary TEXT,
  cancel_reason TEXT
);
CREATE INDEX IF NOT EXISTS sweeps_created ON sweeps(created_at);
CREATE INDEX IF NOT EXISTS sweeps_state ON sweeps(state);
CREATE TABLE IF NOT EXISTS sweep_results (
  sweep_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  failing INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (sweep_id, device_id)
);
CREATE TABLE IF NOT EXISTS sweep_reports (
  seq INTEGER PRIMARY KEY,
  sweep_id TEXT NOT NULL UNIQUE,
  sealed_at INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS sweep_reports_no_update BEFORE UPDATE ON sweep_reports BEGIN SELECT RAISE(ABORT, 'sweep reports are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sweep_reports_no_delete BEFORE DELETE ON sweep_reports BEGIN SELECT RAISE(ABORT, 'sweep reports are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sweep_results_no_update BEFORE UPDATE ON sweep_results BEGIN SELECT RAISE(ABORT, 'sweep results are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sweep_results_no_delete BEFORE DELETE ON sweep_results BEGIN SELECT RAISE(ABORT, 'sweep results are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sweep_results_sealed BEFORE INSERT ON sweep_results
  WHEN EXISTS (SELECT 1 FROM sweep_reports WHERE sweep_id = NEW.sweep_id)
  BEGIN SELECT RAISE(ABORT, 'sweep report is sealed'); END;
CREATE TRIGGER IF NOT EXISTS sweeps_sealed_update BEFORE UPDATE ON sweeps
  WHEN EXISTS (SELECT 1 FROM sweep_reports WHERE sweep_id = OLD.id)
  BEGIN SELECT RAISE(ABORT, 'sweep report is sealed'); END;
CREATE TRIGGER IF NOT EXISTS sweeps_sealed_delete BEFORE DELETE ON sweeps
  WHEN EXISTS (SELECT 1 FROM sweep_reports WHERE sweep_id = OLD.id)
  BEGIN SELECT RAISE(ABORT, 'sweep report is sealed'); END;
`;

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

function toLink(r: LinkRow): ReportLink {
  return { seq: r.seq, sweepId: r.sweep_id, sealedAt: r.sealed_at, contentHash: r.content_hash, prevHash: r.prev_hash, hash: r.hash };
}

export class SqliteSweepStore implements SweepRepository {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly guard: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    this.db.exec(SCHEMA);
    this.stmts = {
      insertSweep: db.prepare(
        `INSERT INTO sweeps (id, name, trigger, state, created_at, total, selection, options, context)
         VALUES (@id, @name, @trigger, @state, @createdAt, @total, @selection, @options, @context)`,
      ),
      finishSweep: db.prepare(
        `UPDATE sweeps SET state = @state, finished_at = @finishedAt, summary = @summary, cancel_reason = @cancelReason WHERE id = @id AND state = 'running'`,
      ),
      getSweep: db.prepare<[string], SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE id = ?`),
      context: db.prepare<[string], { context: string }>('SELECT context FROM sweeps WHERE id = ?'),
      list: db.prepare<[number], SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY created_at DESC, id DESC LIMIT ?`),
      running: db.prepare<[], SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE state = 'running' ORDER BY created_at`),
      insertResult: db.prepare('INSERT INTO sweep_results (sweep_id, device_id, failing, body) VALUES (?, ?, ?, ?)'),
      results: db.prepare<[string], { body: string }>('SELECT body FROM sweep_results WHERE sweep_id = ? ORDER BY rowid'),
      failingResults: db.prepare<[string], { body: string }>('SELECT body FROM sweep_results WHERE sweep_id = ? AND failing = 1 ORDER BY rowid'),
      countResults: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM sweep_results WHERE sweep_id = ?'),
      lastLink: db.prepare<[], LinkRow>('SELECT * FROM sweep_reports ORDER BY seq DESC LIMIT 1'),
      linkOf: db.prepare<[string], LinkRow>('SELECT * FROM sweep_reports WHERE sweep_id = ?'),
      linksAfter: db.prepare<[number, number], LinkRow>('SELECT * FROM sweep_reports WHERE seq > ? ORDER BY seq LIMIT ?'),
      insertLink: db.prepare(
        `INSERT INTO sweep_reports (seq, sweep_id, sealed_at, content_hash, prev_hash, hash)
         VALUES (@seq, @sweepId, @sealedAt, @contentHash, @prevHash, @hash)`,
      ),
    };
  }

  async create(record: SweepRecord, context: SweepContext): Promise<void> {
    this.guard(() =>
      this.stmts.insertSweep.run({
        id: record.id,
        name: record.name ?? null,
        trigger: record.trigger,
        state: record.state,
        createdAt: record.createdAt,
        total: record.total,
        selection: JSON.stringify(record.selection),
        options: JSON.stringify(record.options),
        context: JSON.stringify(context),
      }),
    );
  }

  async addResult(sweepId: string, result: SweepResult): Promise<void> {
    const failing = result.status !== 'ok' || result.reasons.length > 0 ? 1 : 0;
    this.guard(() => this.stmts.insertResult.run(sweepId, result.deviceId, failing, JSON.stringify(result)));
  }

  async finish(sweepId: string, end: SweepEnd): Promise<ReportLink> {
    return this.guard(() =>
      inTransaction(this.db, () => {
        const info = this.stmts.finishSweep.run({
          id: sweepId,
          state: end.state,
          finishedAt: end.finishedAt,
          summary: JSON.stringify(end.summary),
          cancelReason: end.cancelReason ?? null,
        });
        if (info.changes !== 1) throw new Error(`sweep ${sweepId} is not running`);
        const hash = this.contentHashNow(sweepId);
        if (hash === undefined) throw new Error(`sweep ${sweepId} vanished while sealing`);
        const prevRow = this.stmts.lastLink.get();
        const link = makeLink(prevRow ? toLink(prevRow) : undefined, sweepId, end.finishedAt, hash);
        this.stmts.insertLink.run(link);
        return link;
      }),
    );
  }

  async get(id: string): Promise<SweepRecord | undefined> {
    return this.guard(() => this.sweepNow(id));
  }

  async list(limit = 50): Promise<SweepRecord[]> {
    return this.guard(() => this.stmts.list.all(limit).map(toRecord));
  }

  async running(): Promise<SweepRecord[]> {
    return this.guard(() => this.stmts.running.all().map(toRecord));
  }

  async results(sweepId: string, opts: { failingOnly?: boolean } = {}): Promise<SweepResult[]> {
    return this.guard(() => this.resultsNow(sweepId, opts.failingOnly ?? false));
  }

  async resultCount(sweepId: string): Promise<number> {
    return this.guard(() => this.stmts.countResults.get(sweepId)?.n ?? 0);
  }

  async context(sweepId: string): Promise<SweepContext | undefined> {
    return this.guard(() => this.contextNow(sweepId));
  }

  async link(sweepId: string): Promise<ReportLink | undefined> {
    return this.guard(() => {
      const row = this.stmts.linkOf.get(sweepId);
      return row ? toLink(row) : undefined;
    });
  }

  async linksAfter(seq: number, limit: number): Promise<ReportLink[]> {
    return this.guard(() => this.stmts.linksAfter.all(seq, limit).map(toLink));
  }

  private sweepNow(id: string): SweepRecord | undefined {
    const row = this.stmts.getSweep.get(id);
    return row ? toRecord(row) : undefined;
  }

  private contextNow(sweepId: string): SweepContext | undefined {
    const row = this.stmts.context.get(sweepId);
    return row ? (JSON.parse(row.context) as SweepContext) : undefined;
  }

  private resultsNow(sweepId: string, failingOnly: boolean): SweepResult[] {
    const stmt = failingOnly ? this.stmts.failingResults : this.stmts.results;
    return stmt.all(sweepId).map((r) => JSON.parse(r.body) as SweepResult);
  }

  /** The report's content hash from the rows, inside the sealing transaction. */
  private contentHashNow(sweepId: string): string | undefined {
    const sweep = this.sweepNow(sweepId);
    const context = this.contextNow(sweepId);
    if (!sweep || !context) return undefined;
    return contentHash(reportContent(sweep, context, this.resultsNow(sweepId, false)));
  }
}

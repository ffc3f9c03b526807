/**
 * Embedded telemetry store: no server, one SQLite file (better-sqlite3) under the data dir.
 * Modelled on InfluxDB's own shape: a `series` table (measurement + tag set → id) and one
 * table of field values per UTC day, so retention is a DROP TABLE rather than a slow DELETE.
 * New points land in a staging table (`recent`, time-ordered, cheap to append to) that the
 * writer thread compacts into the day tables every 100,000 points or 60 s, sorted by series, so
 * a disk page of a series' index is written once per compaction rather than once per point
 * (telemetry-embedded-sql.ts has the layout and the figures); queries read both.
 * better-sqlite3 is synchronous, so the writes run in a writer thread (telemetry-writer.ts, its own
 * connection): series ids, JSON encoding, the insert transactions and the hourly retention never
 * hold the event loop that handles alarms. A batch goes to the writer in parts of 1,000 points
 * (one transaction each; copying a part costs this thread ~2 ms, then the loop gets a turn). One
 * sealed batch is with the writer at a time, so points land in arrival order; a point counts as
 * written once the writer reports its commit (into `recent`: durable, compacted later). A
 * device's reading is acknowledged once it is in the readings journal (telemetry-journal.ts), so
 * a kill -9 loses nothing a device was told was kept, and a compaction holding the writer for a
 * few hundred ms does not hold acknowledgements. A writer that dies is replaced and gets the
 * points it had not confirmed again: a second insert of the same series and millisecond merges
 * the same fields (json_patch), so nothing doubles.
 * Queries stay on this thread's own connection (WAL: they see every committed point) and read
 * one day table at a time, so alarm handling is held up by a few milliseconds at most.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../contract/clock.js';
import { GatewayError } from '../contract/errors.js';
import { EmbeddedSql, type PointRow } from './telemetry-embedded-sql.js';
import {
  bucketStarts,
  checkAvailabilityRange,
  fillBuckets,
  isUp,
  LONG_MEASUREMENTS,
  RejectCounter,
  uptimeFraction,
  type UpSample,
} from './telemetry-points.js';
import { Admission } from './telemetry-admission.js';
import { BatchQueue } from './telemetry-queue.js';
import { TelemetryJournal } from './telemetry-journal.js';
import { WriterThread, type InsertOutcome } from './telemetry-writer-thread.js';
import type { AvailabilityQuery, SeriesPoint, SeriesQuery, TelemetryStats, TelemetryStore } from './telemetry-store.js';
import type { TelemetryPoint } from '../core/devices/telemetry.js';

export interface EmbeddedStoreOptions {
  /** Directory for telemetry.sqlite (created if missing). */
  dir: string;
  /** Days of points kept; older day tables are dropped. Default 30. */
  retentionDays?: number;
  /** Days the sparse measurements (health, alarm) are kept. Default 730. */
  longRetentionDays?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Points held in memory while SQLite catches up; past it device readings wait (admit). Default 20,000 (a reading waits at most about this many points' commit time). */
  maxBufferedPoints?: number;
  /** A failed commit (disk full, database locked) is retried after this long, its points kept. Default 1,000. */
  retryMs?: number;
  /** Readings journal (telemetry-journal.ts). Default `<dir>/journal`. */
  journalDir?: string;
  /** Tests: rows in the staging table that make a compaction into the day tables due (telemetry-embedded-sql.ts COMPACT_ROWS). */
  compactRows?: number;
  /** Tests: milliseconds after which a compaction is due (COMPACT_MS). The writer thread's own time, not `clock`. */
  compactMs?: number;
  clock?: Clock;
}

const DAY_MS = 86_400_000;
const RETENTION_SWEEP_MS = 3_600_000;
/** Points per message to the writer and per SQLite transaction there: a ~2 ms copy on this thread, then the loop gets a turn; admission room is released commit by commit. */
const COMMIT_CHUNK = 1000;
/** Writers that die one after another without a commit: then the points wait retryMs, as for a failed commit. */
const MAX_DEATHS_IN_ROW = 3;

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class EmbeddedTelemetryStore implements TelemetryStore {
  readonly name = 'embedded';
  private readonly clock: Clock;
  private readonly retentionDays: number;
  private readonly longRetentionDays: number;
  private readonly flushIntervalMs: number;
  private readonly retryMs: number;
  private readonly queue: BatchQueue;
  private readonly journal: TelemetryJournal;
  private readonly admission: Admission;
  /** Set while a failed commit waits for its retry: nothing is tried before. */
  private retry: Timer | undefined;
  private commitFailures = 0;
  private compactFailures = 0;
  private readonly rejects: RejectCounter;
  /** This thread's connection: queries only (the writer thread owns the writes). */
  private sql: EmbeddedSql | undefined;
  private writer: WriterThread | undefined;
  private writerRestarts = 0;
  private deathsInRow = 0;
  private writerStartFailures = 0;
  private batches = 0;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private tick: Timer | undefined;
  private sweep: Timer | undefined;
  private writing: Promise<void> | undefined;
  private writingPoints = 0;
  private written = 0;
  private dropped = 0;
  private lastError: string | undefined;

  constructor(
    private readonly opts: EmbeddedStoreOptions,
    private readonly log: Logger,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.retentionDays = opts.retentionDays ?? 30;
    this.longRetentionDays = opts.longRetentionDays ?? 730;
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.retryMs = opts.retryMs ?? 1000;
    this.journal = new TelemetryJournal(opts.journalDir ?? join(opts.dir, 'journal'), log);
    this.queue = new BatchQueue(opts.batchSize ?? 5000, (through) => this.journal.kept(through));
    this.admission = new Admission(opts.maxBufferedPoints ?? 20_000, () => this.queue.size + this.writingPoints, () => this.clock.now());
    this.rejects = new RejectCounter(log);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    try {
      mkdirSync(this.opts.dir, { recursive: true });
      // This connection creates the schema (WAL) before the writer opens the file, and then only reads.
      this.sql = new EmbeddedSql(new Database(this.file));
    } catch (err) {
      throw new GatewayError('GW_ERR_INTERNAL', `telemetry database in ${this.opts.dir} unusable`, { cause: err });
    }
    try {
      // Readings acknowledged before a crash and perhaps never committed are queued again (a
      // point already stored merges); their segments go once committed.
      await this.journal.open(this.queue);
    } catch (err) {
      this.sql.close();
      this.sql = undefined;
      throw new GatewayError('GW_ERR_INTERNAL', `telemetry journal in ${this.opts.journalDir ?? join(this.opts.dir, 'journal')} unusable`, { cause: err });
    }
    this.state = 'running';
    // Retention once here, before any traffic; the hourly sweep runs in the writer thread.
    await this.expire((day, longBefore) => this.need().expire(day, longBefore));
    // The writer thread comes up in the background (a few tens of ms compiled, a few hundred from
    // source, where it loads tsx first): start() does not wait, points written meanwhile queue
    // in its message port.
    try {
      this.writerNow();
    } catch (err) {
      this.log.error({ err }, 'telemetry writer thread could not be started: will try again with the first batch');
    }
    this.tick = this.clock.setInterval(() => {
      this.queue.seal();
      this.pump();
    }, this.flushIntervalMs);
    this.sweep = this.clock.setInterval(() => this.applyRetention(), RETENTION_SWEEP_MS);
  }

  write(points: TelemetryPoint[]): void {
    try {
      if (this.state === 'stopping' || this.state === 'stopped') {
        this.dropped += points.length;
        this.lastError = 'GW_ERR_INTERNAL: telemetry store stopped';
        return;
      }
      const horizon = this.horizon(this.retentionDays);
      const longHorizon = this.horizon(this.longRetentionDays);
      for (const p of points) {
        const c = this.rejects.check(p);
        if (typeof c === 'string') {
          this.dropped++;
          this.lastError = c;
        } else if (c.at < (LONG_MEASUREMENTS.has(c.measurement) ? longHorizon : horizon)) {
          // Same rule as InfluxDB: "points beyond retention policy dropped".
          this.dropped++;
          this.lastError = 'GW_ERR_PAYLOAD_INVALID: telemetry point older than its retention';
        } else this.queue.push(c);
      }
      if (this.queue.ready > 0) this.pump();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.log.error({ err }, 'telemetry write failed');
    }
  }

  admit(points: TelemetryPoint[], onWait?: () => void): Promise<void> | undefined {
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE', 'telemetry store stopped'));
    }
    return this.admission.enter(points, this.keep, onWait);
  }

  /** Queues a device's points and answers once they are in the journal (kept across a crash; committed later). */
  private readonly keep = (points: TelemetryPoint[]): Promise<void> | undefined => this.journal.keep(points, this.queue, this);

  async flush(): Promise<void> {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    this.queue.seal();
    this.pump();
    while (this.writing) await this.writing;
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    if (this.tick) this.clock.clearInterval(this.tick);
    if (this.sweep) this.clock.clearInterval(this.sweep);
    this.tick = this.sweep = undefined;
    this.admission.fail('telemetry store stopping');
    if (this.retry) this.clock.clearTimeout(this.retry);
    this.retry = undefined;
    await this.flush();
    if (this.queue.size > 0) {
      // The commit kept failing (disk full) up to shutdown: said so. Device readings among them
      // stay in the journal and are stored at the next start; the rest (events, the gateway's own) are lost.
      this.dropped += this.queue.size;
      this.lastError = `GW_ERR_INTERNAL: ${this.queue.size} telemetry points could not be committed before shutdown`;
      this.log.error({ points: this.queue.size }, 'telemetry points not committed at shutdown: device readings stay in the journal for the next start');
    }
    await this.journal.close();
    await this.writer?.close();
    this.writer = undefined;
    this.sql?.close();
    this.sql = undefined;
    this.state = 'stopped';
  }

  stats(): TelemetryStats {
    return {
      written: this.written,
      buffered: this.queue.size + this.writingPoints,
      spooled: 0,
      dropped: this.dropped,
      ...this.admission.stats(),
      retries: this.commitFailures,
      workerRestarts: this.writerRestarts,
      ...this.journal.stats(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  async series(q: SeriesQuery): Promise<SeriesPoint[]> {
    const starts = bucketStarts(q);
    const measurement = q.measurement ?? 'telemetry';
    const first = starts[0] ?? q.from;
    const sums = new Map<number, { sum: number; n: number }>();
    const sids = this.need().seriesIds(q.deviceId, measurement);
    const tables = sids.length > 0 ? this.need().tablesFor(measurement, q.from, q.to) : [];
    for (const table of tables) {
      // One day at a time, yielding in between: a long range never holds the event loop long.
      for (const r of this.need().bucketSums(table, sids, q.field, q.from, q.to, first, q.everyMs)) {
        const at = first + r.b * q.everyMs;
        const acc = sums.get(at) ?? { sum: 0, n: 0 };
        acc.sum += r.s;
        acc.n += r.n;
        sums.set(at, acc);
      }
      await yieldToLoop();
    }
    return fillBuckets(starts, new Map([...sums].map(([at, { sum, n }]) => [at, sum / n])));
  }

  async availability(q: AvailabilityQuery): Promise<Record<string, number>> {
    checkAvailabilityRange(q.from, q.to, q.deviceIds);
    const out: Record<string, number> = {};
    let i = 0;
    for (const id of new Set(q.deviceIds)) {
      const sql = this.need();
      const before = toSamples(sql.lastHealthBefore(id, q.from)).at(-1);
      const inside = toSamples(sql.healthBetween(id, q.from, q.to));
      out[id] = uptimeFraction(before, inside, q.from, q.to);
      if (++i % 200 === 0) await yieldToLoop();
    }
    return out;
  }

  /** Tests and drills: the writer thread dies right after its next `afterCommits` commits, before reporting them (0: now). */
  crashWriter(afterCommits = 0): void {
    this.writer?.crash(afterCommits);
  }

  /** Tests: the writer thread is ended from outside, as a crash would end it. */
  async terminateWriter(): Promise<void> {
    await this.writer?.terminate();
  }

  private get file(): string {
    return join(this.opts.dir, 'telemetry.sqlite');
  }

  private need(): EmbeddedSql {
    if (!this.sql) throw new GatewayError('GW_ERR_INTERNAL', 'telemetry store not started');
    return this.sql;
  }

  /** The writer thread, a new one if the last one died. */
  private writerNow(): WriterThread {
    if (this.writer?.alive) return this.writer;
    const init = {
      file: this.file,
      compact: {
        ...(this.opts.compactRows !== undefined ? { rows: this.opts.compactRows } : {}),
        ...(this.opts.compactMs !== undefined ? { ms: this.opts.compactMs } : {}),
      },
    };
    const onCompactFailed = (error: string): void => {
      this.compactFailures++;
      this.lastError = `GW_ERR_INTERNAL: telemetry compaction failed, points stay staged and queryable: ${error}`;
      if (this.compactFailures <= 3 || this.compactFailures % 60 === 0) this.log.error({ error, failures: this.compactFailures }, 'telemetry compaction failed: will try again');
    };
    const writer = new WriterThread(init, (code, error) => {
      if (this.writer !== writer) return;
      if (!writer.ready) {
        // Never came up (cannot load or open the file): its batches fail and are retried, see pump().
        this.lastError = `GW_ERR_INTERNAL: telemetry writer thread could not start (exit code ${code}): ${error ?? 'no error reported'}`;
        if (++this.writerStartFailures <= 3 || this.writerStartFailures % 60 === 0) this.log.error({ code, error, failures: this.writerStartFailures }, 'telemetry writer thread could not start');
        return;
      }
      this.writerRestarts++;
      this.lastError = `GW_ERR_INTERNAL: telemetry writer thread died (exit code ${code}), restarting it: ${error ?? 'no error reported'}`;
      if (this.writerRestarts <= 10 || this.writerRestarts % 60 === 0) {
        this.log.error({ code, error, restarts: this.writerRestarts, unconfirmed: this.writingPoints }, 'telemetry writer thread died: a new one takes the points it had not confirmed');
      }
    }, onCompactFailed);
    this.writer = writer;
    return writer;
  }

  /** Oldest ms kept: whole UTC days, the current one included. */
  private horizon(days: number): number {
    return (Math.floor(this.clock.now() / DAY_MS) - days + 1) * DAY_MS;
  }

  private applyRetention(): void {
    void this.expire((day, longBefore) => this.writerNow().expire(day, longBefore));
  }

  /** Drops day tables and sparse rows past retention, through `run` (here at start, the writer thread after). */
  private async expire(run: (day: number, longBefore: number) => number | Promise<number>): Promise<void> {
    try {
      const gone = await run(this.horizon(this.retentionDays) / DAY_MS, this.horizon(this.longRetentionDays));
      if (gone > 0) this.log.info({ days: gone }, 'telemetry retention: old days dropped');
    } catch (err) {
      this.lastError = `GW_ERR_INTERNAL: telemetry retention failed: ${String(err)}`;
      this.log.error({ err }, 'telemetry retention failed');
    }
  }

  /** One writer loop at a time: hand a batch to the writer thread, await its commits, repeat while batches are sealed. */
  private pump(): void {
    if (this.writing || this.retry || (this.state !== 'running' && this.state !== 'stopping')) return;
    this.writing = (async () => {
      for (let batch = this.queue.take(); batch; batch = this.queue.take()) {
        this.writingPoints = batch.length;
        const id = ++this.batches;
        // Committed in order: the points confirmed are always the batch's first `done`.
        let done = 0;
        let out: InsertOutcome = { ok: true };
        let replaceable = false;
        try {
          const writer = this.writerNow();
          const parts: Promise<void>[] = [];
          for (let i = 0; i < batch.length && out.ok; i += COMMIT_CHUNK) {
            // Yield first: the copy never runs inside the caller's write(), and never more than one part at a time.
            await yieldToLoop();
            const n = Math.min(COMMIT_CHUNK, batch.length - i);
            parts.push(
              writer.insert(batch.points.slice(i, i + n), id).then((r) => {
                if (!r.ok) out = out.ok ? r : out;
                else if (out.ok) {
                  done += n;
                  this.written += n;
                  this.writingPoints -= n;
                  this.deathsInRow = 0;
                  this.queue.kept(batch, n);
                  this.admission.release();
                }
              }),
            );
          }
          await Promise.all(parts);
          replaceable = writer.ready;
        } catch (err) {
          out = { ok: false, died: false, error: err instanceof Error ? err.message : String(err) };
        }
        if (out.ok) continue;
        // Kept, first in line: what the writer did not confirm goes again (a re-insert merges, never doubles).
        this.writingPoints = 0;
        this.queue.unshift(batch.with(batch.points.slice(done)));
        // A writer that was up and died is replaced at once (unless writers keep dying on these
        // points); a refused commit (database locked, disk full) or a writer that cannot start is
        // tried again later, while readings wait.
        if (out.died && replaceable && ++this.deathsInRow < MAX_DEATHS_IN_ROW) continue;
        this.commitFailed(out.error, batch.length - done);
        this.scheduleRetry();
        return;
      }
    })().finally(() => {
      this.writing = undefined;
      this.admission.release();
      if (this.queue.ready > 0) this.pump();
    });
  }

  private scheduleRetry(): void {
    if (this.retry || this.state !== 'running') return;
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      this.pump();
    }, this.retryMs);
  }

  private commitFailed(error: string, points: number): void {
    this.commitFailures++;
    this.lastError = `GW_ERR_INTERNAL: telemetry commit failed, will retry: ${error}`;
    if (this.commitFailures === 1 || this.commitFailures % 60 === 0) this.log.error({ error, points: this.queue.size + points, failures: this.commitFailures }, 'telemetry commit failed: points kept, retrying');
  }
}

/** 'health' rows, oldest first → up/down samples. */
function toSamples(rows: PointRow[]): UpSample[] {
  const out: UpSample[] = [];
  for (const r of rows) {
    const up = isUp(JSON.parse(r.f) as Record<string, unknown>);
    if (up !== undefined) out.push({ at: r.at, up });
  }
  return out;
}

export function createEmbeddedStore(opts: EmbeddedStoreOptions, log: Logger): EmbeddedTelemetryStore {
  return new EmbeddedTelemetryStore(opts, log);
}

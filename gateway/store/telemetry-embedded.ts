/**
 * Embedded telemetry store: no server, one SQLite file (better-sqlite3) under the data dir.
 * Modelled on InfluxDB's own shape: a `series` table (measurement + tag set → id) and one
 * table of field values per UTC day, so retention is a DROP TABLE rather than a slow DELETE.
 * better-sqlite3 is synchronous: batches are committed 1,000 points per transaction with a yield
 * to the event loop in between, and queries read one day table at a time, so alarm handling is
 * held up by a few milliseconds at most, never by a whole batch or a whole range.
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
  type StoredPoint,
  type UpSample,
} from './telemetry-points.js';
import { BatchQueue } from './telemetry-queue.js';
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
  /** Points held in memory while SQLite catches up; past it the oldest batch is dropped. Default 200,000. */
  maxBufferedPoints?: number;
  clock?: Clock;
}

const DAY_MS = 86_400_000;
const RETENTION_SWEEP_MS = 3_600_000;
/** Points per SQLite transaction: a few ms of synchronous work, then the loop gets a turn. */
const COMMIT_CHUNK = 1000;

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class EmbeddedTelemetryStore implements TelemetryStore {
  readonly name = 'embedded';
  private readonly clock: Clock;
  private readonly retentionDays: number;
  private readonly longRetentionDays: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly queue: BatchQueue;
  private readonly rejects: RejectCounter;
  private sql: EmbeddedSql | undefined;
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
    this.maxBuffered = opts.maxBufferedPoints ?? 200_000;
    this.queue = new BatchQueue(opts.batchSize ?? 5000);
    this.rejects = new RejectCounter(log);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    try {
      mkdirSync(this.opts.dir, { recursive: true });
      this.sql = new EmbeddedSql(new Database(join(this.opts.dir, 'telemetry.sqlite')));
    } catch (err) {
      throw new GatewayError('GW_ERR_INTERNAL', `telemetry database in ${this.opts.dir} unusable`, { cause: err });
    }
    this.state = 'running';
    this.applyRetention();
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
      while (this.queue.size > this.maxBuffered && this.queue.ready > 0) {
        const shed = this.queue.take() ?? [];
        this.dropped += shed.length;
        this.lastError = 'GW_ERR_INTERNAL: telemetry buffer full, oldest points dropped';
      }
      if (this.queue.ready > 0) this.pump();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.log.error({ err }, 'telemetry write failed');
    }
  }

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
    await this.flush();
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

  private need(): EmbeddedSql {
    if (!this.sql) throw new GatewayError('GW_ERR_INTERNAL', 'telemetry store not started');
    return this.sql;
  }

  /** Oldest ms kept: whole UTC days, the current one included. */
  private horizon(days: number): number {
    return (Math.floor(this.clock.now() / DAY_MS) - days + 1) * DAY_MS;
  }

  private applyRetention(): void {
    try {
      const gone = this.sql?.expire(this.horizon(this.retentionDays) / DAY_MS, this.horizon(this.longRetentionDays)) ?? 0;
      if (gone > 0) this.log.info({ days: gone }, 'telemetry retention: old days dropped');
    } catch (err) {
      this.lastError = `GW_ERR_INTERNAL: telemetry retention failed: ${String(err)}`;
      this.log.error({ err }, 'telemetry retention failed');
    }
  }

  /** One writer loop at a time: commit a batch, yield, repeat while batches are sealed. */
  private pump(): void {
    if (this.writing || (this.state !== 'running' && this.state !== 'stopping')) return;
    this.writing = (async () => {
      for (let batch = this.queue.take(); batch; batch = this.queue.take()) {
        this.writingPoints = batch.length;
        for (let i = 0; i < batch.length; i += COMMIT_CHUNK) {
          // Yield first: the commit never runs inside the caller's write().
          await yieldToLoop();
          this.commit(batch.slice(i, i + COMMIT_CHUNK));
          this.writingPoints -= Math.min(COMMIT_CHUNK, batch.length - i);
        }
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.ready > 0) this.pump();
    });
  }

  private commit(batch: StoredPoint[]): void {
    try {
      this.need().insert(batch);
      this.written += batch.length;
    } catch (err) {
      this.dropped += batch.length;
      this.lastError = `GW_ERR_INTERNAL: telemetry commit failed: ${err instanceof Error ? err.message : String(err)}`;
      this.log.error({ err, points: batch.length }, 'telemetry commit failed: points lost');
    }
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

/**
 * Telemetry store contract. Two implementations: InfluxDB 1.x (influx package) and an
 * embedded default that needs no server. Writes are fire-and-forget for the caller:
 * alarm handling never waits on telemetry.
 */
import type { TelemetryPoint, TelemetrySink } from '../core/devices/telemetry.js';

export interface SeriesQuery {
  deviceId: string;
  measurement?: string;
  field: string;
  from: number;
  to: number;
  /** Bucket width in ms; results are the mean (numbers) per bucket. */
  everyMs: number;
}

export interface SeriesPoint {
  at: number;
  value: number | null;
}

export interface AvailabilityQuery {
  /** Device ids to report on (all of a school's, or one). */
  deviceIds: string[];
  from: number;
  to: number;
}

/** Back-pressure on device readings (telemetry-admission.ts). */
export interface TelemetryThrottle {
  /** Points the store holds (memory, in flight) before readings wait. */
  bound: number;
  /** Readings (calls) that had to wait for room, and their points. */
  throttled: number;
  throttledPoints: number;
  /** Points waiting for room now. */
  waiting: number;
  /** Total and longest wait of readings that got in. */
  waitedMs: number;
  maxWaitMs: number;
  /** Present while readings wait: since when (ms ago). */
  throttlingForMs?: number;
}

/** Flat (it is /api/health's `telemetry` object): the store's figures and its TelemetryThrottle. */
export interface TelemetryStats extends Partial<TelemetryThrottle> {
  written: number;
  buffered: number;
  spooled: number;
  /** Points the store refused (invalid, past retention) or lost; never a reading it admitted under back-pressure. */
  dropped: number;
  /** Commits (embedded) or spool appends (InfluxDB) that failed and were kept to be tried again. */
  retries?: number;
  /** Readings journal (telemetry-journal.ts): segments on disk, writes, failed writes (those readings were not acknowledged), points read back after a crash, unreadable lines skipped then. */
  journalSegments?: number;
  journalWrites?: number;
  journalFailedWrites?: number;
  journalRecovered?: number;
  journalUnreadable?: number;
  /** Store threads that died and were replaced: the embedded store's writer (its unconfirmed points sent again), InfluxDB's sender (its batches spooled, then sent again). */
  workerRestarts?: number;
  lastError?: string;
}

export interface TelemetryStore extends TelemetrySink {
  readonly name: string;
  start(): Promise<void>;
  /** Flushes what is buffered (or spools it) and releases resources. */
  stop(): Promise<void>;
  /** Never throws and never blocks on the server: points are buffered and batched. */
  write(points: TelemetryPoint[]): void;
  /** Device readings: queued once the bounded queue has room (back-pressure), answered once kept, see TelemetrySink.admit. */
  admit(points: TelemetryPoint[], onWait?: () => void): Promise<void> | undefined;
  /** Forces buffered points out now (tests, shutdown). */
  flush(): Promise<void>;
  series(q: SeriesQuery): Promise<SeriesPoint[]>;
  /** Uptime fraction 0..1 per device over the period, from 'health' points (status field). */
  availability(q: AvailabilityQuery): Promise<Record<string, number>>;
  stats(): TelemetryStats;
}

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

export interface TelemetryStats {
  written: number;
  buffered: number;
  spooled: number;
  dropped: number;
  lastError?: string;
}

export interface TelemetryStore extends TelemetrySink {
  readonly name: string;
  start(): Promise<void>;
  /** Flushes what is buffered (or spools it) and releases resources. */
  stop(): Promise<void>;
  /** Never throws and never blocks on the server: points are buffered and batched. */
  write(points: TelemetryPoint[]): void;
  /** Forces buffered points out now (tests, shutdown). */
  flush(): Promise<void>;
  series(q: SeriesQuery): Promise<SeriesPoint[]>;
  /** Uptime fraction 0..1 per device over the period, from 'health' points (status field). */
  availability(q: AvailabilityQuery): Promise<Record<string, number>>;
  stats(): TelemetryStats;
}

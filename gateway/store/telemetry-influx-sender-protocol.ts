/**
 * Messages between the InfluxDB telemetry store (main thread) and its sender thread
 * (telemetry-influx-sender.ts). Plain data only: points travel packed as for the embedded
 * store's writer (telemetry-writer-protocol.ts).
 */
import type { PackedPoints } from './telemetry-writer-protocol.js';

/** workerData of the sender thread: where and as whom to write. */
export interface SenderInit {
  host: string;
  port: number;
  protocol: 'http' | 'https';
  /** URL path prefix of the server ('' for none). */
  path: string;
  database: string;
  username?: string;
  password?: string;
  /** A write slower than this fails (and its batch is spooled by the store). */
  requestTimeoutMs: number;
}

export type ToSender =
  /** One write request: `points` into retention policy `rp`. */
  | { t: 'write'; id: number; rp: string; points: PackedPoints }
  /** Tests and drills: the thread exits (code 70) at once, with its requests unanswered. */
  | { t: 'crash' };

export type FromSender =
  | { t: 'written'; id: number }
  /** `status`: InfluxDB's HTTP status when it answered (400: points refused), absent when it did not. */
  | { t: 'failed'; id: number; status?: number; error: string };

/**
 * Options of the InfluxDB telemetry store and their defaults (docs/telemetry.md).
 */
import type { Clock } from '../contract/clock.js';
import { DEFAULT_SPOOL_MAX_BYTES } from './telemetry-spool.js';

export interface InfluxStoreOptions {
  /** e.g. 'http://127.0.0.1:8086' */
  url: string;
  database?: string;
  username?: string;
  password?: string;
  /** Raw points (default RP 'raw'). Default 30. */
  retentionDays?: number;
  /** 5-minute means, health and alarm transitions (RP 'long'). Default 730. */
  longRetentionDays?: number;
  rawPolicy?: string;
  longPolicy?: string;
  /** Create/align database, RPs and CQ on every connection. Default true. */
  manageSchema?: boolean;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Points held in memory before batches are spooled to disk instead of waiting. Default 50,000. */
  maxBufferedPoints?: number;
  /** Live write requests at once (a replay adds one). Default 2. */
  maxInFlight?: number;
  /** A write slower than this counts as a failure and its batch is spooled. Default 10,000. */
  requestTimeoutMs?: number;
  /** Directory for the disk spool (e.g. `${dataDir}/telemetry-spool`). Required. */
  spoolDir: string;
  spoolMaxBytes?: number;
  /** Readings journal (telemetry-journal.ts). Default `${spoolDir}-journal`. */
  journalDir?: string;
  /** Probe backoff bounds while InfluxDB is unreachable. Defaults 250 and 10,000. */
  probeMinMs?: number;
  probeMaxMs?: number;
  /** start() waits at most this long for the first connection, then carries on spooling. Default 2,000. */
  startWaitMs?: number;
  clock?: Clock;
}

export type ResolvedInfluxOptions = Required<Omit<InfluxStoreOptions, 'username' | 'password' | 'clock'>> & Pick<InfluxStoreOptions, 'username' | 'password'>;

export function resolveInfluxOptions(o: InfluxStoreOptions): ResolvedInfluxOptions {
  return {
    database: 'campus',
    retentionDays: 30,
    longRetentionDays: 730,
    rawPolicy: 'raw',
    longPolicy: 'long',
    manageSchema: true,
    batchSize: 5000,
    flushIntervalMs: 1000,
    maxBufferedPoints: 50_000,
    maxInFlight: 2,
    requestTimeoutMs: 10_000,
    spoolMaxBytes: DEFAULT_SPOOL_MAX_BYTES,
    probeMinMs: 250,
    probeMaxMs: 10_000,
    startWaitMs: 2000,
    journalDir: `${o.spoolDir}-journal`,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as ResolvedInfluxOptions;
}

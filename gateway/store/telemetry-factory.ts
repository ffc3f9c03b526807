/**
 * Picks the telemetry store the configuration asks for: InfluxDB when `telemetry.influx` is
 * set (INFLUX_URL), else the embedded store, so `npm start` needs no server.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { Clock } from '../contract/clock.js';
import { createEmbeddedStore } from './telemetry-embedded.js';
import { createInfluxStore } from './telemetry-influx.js';
import type { TelemetryStore } from './telemetry-store.js';

export function createTelemetryStore(config: GatewayConfig, dataDir: string, log: Logger, clock: Clock): TelemetryStore {
  const t = config.telemetry;
  if (t.influx) {
    return createInfluxStore(
      {
        url: t.influx.url,
        database: t.influx.database,
        ...(t.influx.username ? { username: t.influx.username } : {}),
        ...(t.influx.password ? { password: t.influx.password } : {}),
        retentionDays: t.influx.retentionDays,
        spoolDir: join(dataDir, 'telemetry-spool'),
        spoolMaxBytes: t.spoolMaxBytes,
        ...(t.maxBufferedPoints !== undefined ? { maxBufferedPoints: t.maxBufferedPoints } : {}),
        batchSize: t.batchSize,
        flushIntervalMs: t.flushIntervalMs,
        clock,
      },
      log,
    );
  }
  return createEmbeddedStore(
    { dir: join(dataDir, 'telemetry'), batchSize: t.batchSize, flushIntervalMs: t.flushIntervalMs, ...(t.maxBufferedPoints !== undefined ? { maxBufferedPoints: t.maxBufferedPoints } : {}), clock },
    log,
  );
}

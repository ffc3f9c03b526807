/**
 * Picks the telemetry store the configuration asks for: InfluxDB when `telemetry.influx` is
 * set (INFLUX_URL), else the embedded store, so `npm start` needs no server. The InfluxDB client
 * is imported only when it is asked for: a gateway on the embedded store never loads it.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { Clock } from '../contract/clock.js';
import { createEmbeddedStore } from './telemetry-embedded.js';
import type { TelemetryStore } from './telemetry-store.js';

export async function createTelemetryStore(config: GatewayConfig, dataDir: string, log: Logger, clock: Clock): Promise<TelemetryStore> {
  const t = config.telemetry;
  if (t.influx) {
    const { createInfluxStore } = await import('./telemetry-influx.js');
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

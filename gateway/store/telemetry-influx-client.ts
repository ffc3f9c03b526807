/**
 * One node-influx client as the InfluxDB store makes it, on the main thread (pings, schema,
 * queries) and in its sender thread (writes): its own keep-alive agent (closed at stop), no
 * retries and no backoff of node-influx's own (the store spools and probes itself).
 */
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { InfluxDB } from 'influx';
import type { SenderInit } from './telemetry-influx-sender-protocol.js';

/** node-influx's pool parks a failed host behind an un-cleared timer; the store backs off itself. */
const NO_BACKOFF = { getDelay: () => 0, next: () => NO_BACKOFF, reset: () => NO_BACKOFF };

/** Where and as whom, from the store's URL and credentials. */
export function influxTarget(url: URL, o: { database: string; username?: string | undefined; password?: string | undefined; requestTimeoutMs: number }): SenderInit {
  const https = url.protocol === 'https:';
  return {
    host: url.hostname,
    port: Number(url.port || (https ? 443 : 8086)),
    protocol: https ? 'https' : 'http',
    path: url.pathname === '/' ? '' : url.pathname,
    database: o.database,
    ...(o.username !== undefined ? { username: o.username, password: o.password ?? '' } : {}),
    requestTimeoutMs: o.requestTimeoutMs,
  };
}

export function createInfluxClient(t: SenderInit): { influx: InfluxDB; agent: Agent } {
  const agent = t.protocol === 'https' ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true });
  const influx = new InfluxDB({
    host: t.host,
    port: t.port,
    protocol: t.protocol,
    path: t.path,
    database: t.database,
    ...(t.username !== undefined ? { username: t.username, password: t.password ?? '' } : {}),
    pool: { maxRetries: 0, requestTimeout: t.requestTimeoutMs, backoff: NO_BACKOFF },
    options: { agent },
  });
  return { influx, agent };
}

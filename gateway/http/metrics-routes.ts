/**
 * GET /metrics: the gateway's vital signs in the Prometheus text format (prom-client), under
 * the prefix `campus_gateway_`. Open without a login to the addresses in `http.metricsAllow`
 * (the Prometheus server; loopback by default); anyone else needs an operator login with
 * `metrics:read`, so a scrape from the LAN cannot map the district's devices and links.
 *
 * The counters /api/health shows are turned into labelled families where their last part
 * varies (`rejects.bad-payload` → `campus_gateway_rejects_total{reason="bad-payload"}`); the
 * rest keep their name (`auth.login.failed` → `campus_gateway_auth_login_failed_total`).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { addressList, allowedAddress } from './address-list.js';
import type { HttpDeps } from './deps.js';
import type { TelemetryStats } from '../store/telemetry-store.js';

export const METRICS_PREFIX = 'campus_gateway_';

/** Counter keys whose last part is a label value: key prefix → [family, label]. */
const LABELLED: readonly (readonly [string, string, string])[] = [
  ['events.', 'device_events', 'type'],
  ['rejects.', 'rejects', 'reason'],
  ['http.rejected.', 'http_rejected', 'reason'],
  ['mqtt.auth.refused.', 'mqtt_auth_refused', 'reason'],
  ['adapters.failed.', 'adapter_start_failures', 'adapter'],
];

const CHANNEL_KINDS = new Set(['alarm-centre', 'sms', 'radio']);

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Counter name → the Prometheus family it belongs to, and its labels. */
export function counterFamily(key: string): { name: string; label?: [string, string] } {
  for (const [prefix, family, label] of LABELLED) {
    if (key.startsWith(prefix) && key.length > prefix.length) return { name: `${METRICS_PREFIX}${family}_total`, label: [label, key.slice(prefix.length)] };
  }
  return { name: `${METRICS_PREFIX}${sanitize(key)}_total` };
}

/** Press hops take from tens of µs (decoding) to seconds (a 110 retry): buckets from 50 µs to 5 s. */
const PRESS_STAGE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function metricsRegistry(deps: HttpDeps): { registry: Registry; syncCounters: () => void; stop: () => void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
  const counters = new Map<string, Counter>();
  /** Counters appear as the gateway first counts them: families are made at scrape time. */
  const syncCounters = () => {
    const snapshot = deps.counters.snapshot();
    const byFamily = new Map<string, { label?: string; values: [string | undefined, number][] }>();
    for (const [key, value] of Object.entries(snapshot)) {
      const { name, label } = counterFamily(key);
      const entry = byFamily.get(name) ?? { ...(label ? { label: label[0] } : {}), values: [] };
      entry.values.push([label?.[1], value]);
      byFamily.set(name, entry);
    }
    for (const [name, { label, values }] of byFamily) {
      let counter = counters.get(name);
      if (!counter) {
        counter = new Counter({ name, help: `gateway counter ${name.slice(METRICS_PREFIX.length)}`, labelNames: label ? [label] : [], registers: [registry] });
        counters.set(name, counter);
      }
      counter.reset();
      for (const [value, n] of values) {
        if (label && value !== undefined) counter.inc({ [label]: value }, n);
        else counter.inc(n);
      }
    }
  };
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void | Promise<void>) =>
    new Gauge({
      name: `${METRICS_PREFIX}${name}`,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        await collect(this);
      },
    });
  gauge('uptime_seconds', 'Seconds since the gateway started', [], (g) => g.set((deps.clock.now() - deps.startedAt) / 1000));
  gauge('devices', 'Devices by health status', ['status'], (g) => {
    const by: Record<string, number> = { ok: 0, degraded: 0, offline: 0, unknown: 0 };
    for (const h of deps.health.all()) by[h.status] = (by[h.status] ?? 0) + 1;
    for (const [status, n] of Object.entries(by)) g.set({ status }, n);
  });
  gauge('open_alarms', 'Alarms not yet resolved', [], (g) => g.set(deps.alarms.openAlarms().length));
  gauge('mqtt_clients', 'MQTT clients connected to this node', [], (g) => g.set(deps.broker.connectedClients()));
  gauge('mqtt_clients_paused', 'MQTT connections not read now: mqtt.receiveMaximum of their publishes wait (back-pressure)', [], (g) => g.set(deps.broker.pausedClients()));
  gauge('mqtt_readings_waiting', 'Device readings and status reports read and waiting for their slice (the alarm path goes first)', [], (g) => g.set(deps.broker.readingSlices().waiting));
  gauge('outbox_pending', 'Reports waiting in the durable outbox of a far-end link (110)', ['channel'], async (g) => {
    // The store unreachable: no figure rather than no /metrics (the outage shows in the counters).
    const depth = await deps.outboxDepth?.().catch(() => undefined);
    for (const [channel, n] of Object.entries(depth ?? {})) g.set({ channel }, n);
  });
  gauge('link_up', 'Outbound links (110 centre, SMS, radio): 1 while usable, 0 while offline', ['device', 'kind', 'status'], (g) => {
    for (const h of deps.health.all()) {
      if (CHANNEL_KINDS.has(h.kind)) g.set({ device: h.deviceId, kind: h.kind, status: h.status }, h.status === 'offline' ? 0 : 1);
    }
  });
  gauge('telemetry_points', 'Telemetry store: points written, buffered in memory, spooled to disk, dropped', ['store', 'state'], (g) => {
    const stats = deps.telemetry?.stats();
    if (!stats) return;
    const store = deps.telemetry?.name ?? '';
    for (const state of ['written', 'buffered', 'spooled', 'dropped'] as const) g.set({ store, state }, stats[state]);
  });
  /** A gauge of the telemetry store's figures, one series per figure (those the store has). */
  const storeFigures = (name: string, help: string, figuresOf: (s: TelemetryStats) => Record<string, number | undefined>) =>
    gauge(name, help, ['store', 'figure'], (g) => {
      const s = deps.telemetry?.stats();
      if (!s) return;
      const store = deps.telemetry?.name ?? '';
      for (const [figure, v] of Object.entries(figuresOf(s))) if (v !== undefined) g.set({ store, figure }, v);
    });
  storeFigures('telemetry_backpressure', 'Telemetry back-pressure on device readings: bound (points), waiting (points now), throttled (readings and points held since start), waited_ms (total), max_wait_ms, retries (failed commits), worker_restarts (embedded writer threads replaced)', (s) => ({
    bound: s.bound,
    waiting: s.waiting,
    throttled: s.throttled,
    throttled_points: s.throttledPoints,
    waited_ms: s.waitedMs,
    max_wait_ms: s.maxWaitMs,
    retries: s.retries,
    worker_restarts: s.workerRestarts,
  }));
  storeFigures('telemetry_journal', 'Readings journal (a reading is acknowledged once in it): segments (files on disk now), writes, failed_writes (their readings were not acknowledged), recovered (points read back after a crash), unreadable (lines skipped then)', (s) => ({
    segments: s.journalSegments,
    writes: s.journalWrites,
    failed_writes: s.journalFailedWrites,
    recovered: s.journalRecovered,
    unreadable: s.journalUnreadable,
  }));
  // Where each millisecond of a press goes (gateway/core/alarms/press-path.ts): observed as each hop completes.
  const stages = new Histogram({
    name: `${METRICS_PREFIX}press_stage_seconds`,
    help: 'Alarm path of a press, per hop: receive-decode (broker to adapter decoded), decode-commit (alarm and 110 entry committed), commit-frame (DC-09 frame written to the 110 socket), frame-ack (110 ACK received)',
    labelNames: ['stage'],
    buckets: PRESS_STAGE_BUCKETS,
    registers: [registry],
  });
  const stop = deps.pressPath?.onStage((stage, seconds) => stages.observe({ stage }, seconds)) ?? (() => undefined);
  return { registry, syncCounters, stop };
}

export function metricsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const allow = addressList(deps.config.http.metricsAllow);
  const { registry, syncCounters, stop } = metricsRegistry(deps);
  app.addHook('onClose', async () => {
    stop();
    registry.clear();
  });
  app.get(
    '/metrics',
    {
      config: { permission: 'metrics:read', publicFrom: (ip: string) => allowedAddress(allow, ip) },
    },
    async (_req, reply) => {
      // Counter families appear as the gateway first counts something: made before the text.
      syncCounters();
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}

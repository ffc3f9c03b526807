/**
 * The district's telemetry lands in a real InfluxDB (queried with the Debian `influx` CLI, as
 * an operator would) and comes back through the history and availability API; without
 * INFLUX_URL the embedded store answers the same API.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedButton } from '../../../simulators/alarm-button.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startInfluxd, type InfluxdHandle } from '../../../simulators/influxd.js';

const run = promisify(execFile);

async function json<T>(t: TestGateway, path: string): Promise<T> {
  const res = await t.api(`${path}`);
  return (await res.json()) as T;
}

describe.each(['influx', 'embedded'] as const)('gateway telemetry (%s store)', (kind) => {
  let influx: InfluxdHandle | undefined;
  let t: TestGateway;
  const sims: SimulatedButton[] = [];
  beforeAll(async () => {
    if (kind === 'influx') influx = await startInfluxd();
    t = await startGateway({ telemetry: { flushIntervalMs: 100, ...(influx ? { influx: { url: influx.url, database: 'campus' } } : {}) } });
    for (const id of ['sch-01-btn-1', 'sch-02-btn-1']) {
      const device = t.gw.registry.get(id);
      if (!device) throw new Error(id);
      const sim = new SimulatedButton({ url: t.mqttUrl, device, heartbeatMs: 100, faults: id === 'sch-02-btn-1' ? ['low-battery'] : [] });
      sims.push(sim);
      await sim.start();
    }
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await t.close();
    await influx?.stop();
  });

  it('stores button readings and serves them as history, bucketed', async () => {
    expect(t.gw.telemetry.name).toBe(kind);
    const res = await eventually(async () => {
      const r = await json<{ points: { at: number; value: number | null }[] }>(t, `/api/devices/sch-02-btn-1/telemetry?field=battery&every=1s&from=${Date.now() - 60_000}`);
      return r.points.some((p) => p.value === 12) ? r : undefined;
    });
    expect(res.points.filter((p) => p.value !== null).every((p) => p.value === 12)).toBe(true);
    const bad = await t.api(`/api/devices/sch-02-btn-1/telemetry?field=battery&every=forever`);
    expect(bad.status).toBe(400);
  });

  it('reports availability per device and per school from health transitions', async () => {
    const from = Date.now() - 5_000;
    const site = await eventually(async () => {
      const r = await json<{ uptime: number; devices: Record<string, number> }>(t, `/api/sites/sch-01/availability?from=${from}`);
      return (r.devices['sch-01-btn-1'] ?? 0) > 0 ? r : undefined;
    });
    // The button came up inside the window; the school's cameras (never simulated here) were never up.
    expect(site.devices['sch-01-btn-1']).toBeGreaterThan(0);
    expect(site.devices['sch-01-cam-1']).toBe(0);
    const one = await json<{ deviceId: string; uptime: number }>(t, `/api/devices/sch-01-btn-1/availability?from=${from}`);
    expect(one.deviceId).toBe('sch-01-btn-1');
    expect(one.uptime).toBeGreaterThan(0);
  });

  // Registered only for the InfluxDB store (the embedded one has no CLI), never skipped.
  if (kind === 'influx') it('is visible to the influx CLI with the documented measurements and tags', async () => {
    await t.gw.telemetry.flush();
    const port = new URL(influx?.url ?? '').port;
    const { stdout } = await run('influx', ['-port', port, '-database', 'campus', '-format', 'json', '-execute', `SELECT last("battery") FROM "telemetry" WHERE "device" = 'sch-02-btn-1'`]);
    const out = JSON.parse(stdout) as { results: { series?: { values: [string, number][] }[] }[] };
    expect(out.results[0]?.series?.[0]?.values[0]?.[1]).toBe(12);
    const tags = await run('influx', ['-port', port, '-database', 'campus', '-execute', 'SHOW TAG KEYS FROM "telemetry"']);
    for (const tag of ['device', 'kind', 'site']) expect(tags.stdout).toContain(tag);
    const measurements = await run('influx', ['-port', port, '-database', 'campus', '-execute', 'SHOW MEASUREMENTS']);
    for (const m of ['telemetry', 'health', 'event']) expect(measurements.stdout).toContain(m);
  });

  // The Grafana dashboard docker compose provisions (config/grafana): every panel's InfluxQL,
  // with Grafana's macros filled in as Grafana would, answers from what the gateway wrote.
  if (kind === 'influx') it('answers every Grafana dashboard panel from the data the gateway wrote', async () => {
    const bar = await connectAs(t.mqttUrl, 'sch-06-bar-1');
    await bar.publishAsync('campus/v1/sch-06/sch-06-bar-1/telemetry', JSON.stringify({ position: 'raised', pressure: 11.8 }), { qos: 1 });
    await bar.endAsync();
    await eventually(() => (t.gw.telemetry.stats().written > 0 ? true : undefined));
    await t.gw.telemetry.flush();
    const dashboard = JSON.parse(readFileSync(new URL('../../../config/grafana/dashboards/campus-gateway.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets: { query: string }[] }[];
    };
    const port = new URL(influx?.url ?? '').port;
    const answered: Record<string, number> = {};
    for (const panel of dashboard.panels) {
      const query = (panel.targets[0]?.query ?? '').replaceAll('$timeFilter', 'time > now() - 1h').replaceAll('$__interval', '10s');
      const { stdout } = await run('influx', ['-port', port, '-database', 'campus', '-format', 'json', '-execute', query]);
      const out = JSON.parse(stdout) as { results: { error?: string; series?: { values: unknown[][] }[] }[] };
      answered[panel.title] = (out.results[0]?.series ?? []).reduce((n, s) => n + s.values.filter((v) => v.slice(1).some((x) => x !== null && x !== 0)).length, 0);
    }
    expect(Object.entries(answered).filter(([, n]) => n === 0)).toStrictEqual([]);
  });
});

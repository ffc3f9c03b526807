/**
 * Guarantee: a device's reading acknowledged by the gateway (PUBACK received) is stored, even
 * when the gateway is killed with SIGKILL the next moment. Buttons send readings as fast as a
 * busy district does; the gateway is killed mid-stream and started again on the same data; every
 * reading whose PUBACK arrived must then be in the store (the embedded SQLite file, or
 * InfluxDB). Before readings were acknowledged once in the readings journal
 * (gateway/store/telemetry-journal.ts), the readings of the last ~200 ms were acknowledged from
 * memory and lost.
 */
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../../simulators/influxd.js';
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { connectAs, eventually, tempDir } from '../../helpers/gateway.js';

const BUTTONS = Array.from({ length: 20 }, (_, i) => `sch-${String(i + 1).padStart(2, '0')}-btn-1`);
const PER_SECOND = 40;
/** Kill once this many readings are acknowledged (~2.5 s at 800/s). */
const ACKED_BEFORE_KILL = 2000;

/** Every stored telemetry reading of the embedded store's file, as `device|at`. */
function storedEmbedded(file: string): Set<string> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'p_[0-9]*' OR name = 'recent')`).all() as { name: string }[]).map((r) => r.name);
    const out = new Set<string>();
    for (const t of tables) {
      const rows = db.prepare(`SELECT s.device AS device, x.at AS at FROM ${t} x JOIN series s ON s.id = x.sid WHERE s.measurement = 'telemetry'`).all() as { device: string; at: number }[];
      for (const r of rows) out.add(`${r.device}|${r.at}`);
    }
    return out;
  } finally {
    db.close();
  }
}

/** Every stored telemetry reading in InfluxDB, as `device|at`. */
async function storedInflux(url: string, database: string): Promise<Set<string>> {
  const q = new URLSearchParams({ db: database, epoch: 'ms', q: `SELECT "battery", "device" FROM "${database}"."raw"."telemetry"` });
  const res = await fetch(`${url}/query?${q.toString()}`);
  const body = (await res.json()) as { results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[] };
  const series = body.results[0]?.series ?? [];
  const out = new Set<string>();
  for (const s of series) {
    const ti = s.columns.indexOf('time');
    const di = s.columns.indexOf('device');
    for (const v of s.values) out.add(`${String(v[di])}|${String(v[ti])}`);
  }
  return out;
}

describe.each(['embedded', 'influx'] as const)('acknowledged readings survive kill -9 (%s store)', (kind) => {
  let gw: GatewayProcess | undefined;
  let influx: InfluxdHandle | undefined;
  let dataDir: string | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await gw?.kill('SIGKILL');
    await influx?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    gw = influx = dataDir = undefined;
  });

  it('stores every reading whose PUBACK the device got before the gateway was killed', async () => {
    const dir = (dataDir = tempDir());
    if (kind === 'influx') influx = await startInfluxd();
    const site = join(dir, 'site.yaml');
    // JSON is YAML.
    writeFileSync(site, JSON.stringify({ telemetry: influx ? { influx: { url: influx.url, database: 'crash' } } : {} }));
    gw = await spawnGateway({ DATA_DIR: dir, GATEWAY_CONFIG: site });
    const g = gw;
    for (const id of BUTTONS) clients.push(await connectAs(g.mqttUrl, id));

    const acked: string[] = [];
    let running = true;
    const loops = BUTTONS.map(async (id, i) => {
      const c = clients[i] as MqttClient;
      const siteId = id.slice(0, 6);
      let at = Date.now();
      while (running) {
        // A strictly later time per reading: each reading is its own point in the store.
        at = Math.max(at + 1, Date.now());
        const mine = at;
        c.publishAsync(`campus/v1/${siteId}/${id}/telemetry`, JSON.stringify({ at: mine, battery: 80 + (mine % 20) }), { qos: 1 }).then(
          () => acked.push(`${id}|${mine}`),
          () => undefined,
        );
        await new Promise((r) => setTimeout(r, 1000 / PER_SECOND));
      }
    });
    await eventually(async () => (acked.length >= ACKED_BEFORE_KILL ? true : undefined), { timeoutMs: 60_000 });
    // Mid-stream: readings are on their way in every state (parsed, queued, being committed).
    await g.kill('SIGKILL');
    running = false;
    await Promise.all(loops);
    // A PUBACK read after the kill was sent before it: it counts.
    const ackedAtKill = [...acked];

    expect(ackedAtKill.length).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
    const lost = async (): Promise<string[]> => {
      const stored = kind === 'influx' && influx ? await storedInflux(influx.url, 'crash') : storedEmbedded(join(dir, 'telemetry', 'telemetry.sqlite'));
      return ackedAtKill.filter((k) => !stored.has(k));
    };
    // What the store had not committed yet is in the journal: the next start stores it.
    const missingAtKill = (await lost()).length;
    gw = await spawnGateway({ DATA_DIR: dir, GATEWAY_CONFIG: site });
    const replayed = gw.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('telemetry journal: readings acknowledged before a crash'));
    const left = await eventually(async () => {
      const l = await lost();
      return l.length === 0 ? l : undefined;
    }, { timeoutMs: 30_000 }).catch(async () => lost());
    expect({ lost: left.length, first: left.slice(0, 5) }).toStrictEqual({ lost: 0, first: [] });
    // The journal was read back at the restart (what it held is more than what was missing).
    expect(replayed?.points).toBeGreaterThanOrEqual(missingAtKill);
    expect(replayed?.points).toBeGreaterThan(0);
    // …and says so on /api/health and /metrics.
    const health = (await (await gw.api('/api/health')).json()) as { telemetry?: Record<string, number | string> };
    expect(health.telemetry).toMatchObject({ store: kind, journalRecovered: replayed?.points, journalFailedWrites: 0 });
    const metrics = await (await gw.api('/metrics')).text();
    expect(metrics).toContain(`campus_gateway_telemetry_journal{store="${kind}",figure="recovered"} ${String(replayed?.points)}`);
  }, 120_000);
});

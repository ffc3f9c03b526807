/**
 * A synthetic district for load: `sites` schools with `perSite` one-touch alarm buttons each,
 * laid over config/default.yaml (everything but the district itself stays as shipped). Device
 * i is always the same id and secret, so client workers derive their devices from an index
 * range instead of receiving thousands of records.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../gateway/config/load.js';
import { deviceTopic } from '../../gateway/contract/topics.js';

export interface SyntheticDevice {
  id: string;
  siteId: string;
  secret: string;
  telemetryTopic: string;
  statusTopic: string;
  cmdTopic: string;
}

const siteId = (s: number) => `bench-s${String(s).padStart(5, '0')}`;

export function syntheticDevice(i: number, perSite: number): SyntheticDevice {
  const site = siteId(Math.floor(i / perSite));
  const id = `${site}-btn-${String(i % perSite).padStart(3, '0')}`;
  return {
    id,
    siteId: site,
    // Bench-only secrets, derived so that workers and gateway agree without sharing a file.
    secret: `bench-secret-${id}`,
    telemetryTopic: deviceTopic(site, id, 'telemetry'),
    statusTopic: deviceTopic(site, id, 'status'),
    cmdTopic: deviceTopic(site, id, 'cmd'),
  };
}

const DAY_MS = 86_400_000;

/** What simulators/alarm-button.ts sends as telemetry for device i: battery, RSSI, power and SIM status. */
export function buttonTelemetry(i: number): Record<string, unknown> {
  return {
    battery: 80 + (i % 20),
    rssi: -60 - (i % 25),
    power: 'mains',
    sim: { status: 'active', iccid: `898600${String(i).padStart(14, '0')}`, expires: new Date(Date.now() + 400 * DAY_MS).toISOString().slice(0, 10) },
  };
}

export interface DistrictOptions {
  devices: number;
  perSite: number;
  dataDir: string;
  persistence: 'level' | 'memory';
  heartbeatSeconds: number;
}

/** The whole configuration: default.yaml with the district replaced, loopback ports chosen by the OS, no other adapters. */
export function syntheticConfig(o: DistrictOptions): Record<string, unknown> {
  const base = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  const sites: Record<string, unknown>[] = [];
  for (let i = 0; i < o.devices; i++) {
    const d = syntheticDevice(i, o.perSite);
    if (i % o.perSite === 0) sites.push({ id: d.siteId, name: `Bench school ${d.siteId}`, district: 'bench', devices: [] });
    (sites[sites.length - 1]?.devices as unknown[]).push({ id: d.id, kind: 'alarm-button', name: `button ${i % o.perSite}`, secret: d.secret });
  }
  return {
    ...base,
    dataDir: o.dataDir,
    log: { level: 'warn', pretty: false },
    http: { ...(base.http as object), host: '127.0.0.1', port: 0 },
    // Every simulated device connects from loopback: one address standing for a whole district,
    // so the per-address connect budget (mqtt.connectLimit) would measure itself, not the gateway.
    // The same holds for the password checks' share per address: with the default queue of 256,
    // 4 workers × 100 CONNECTs in flight were refused (CONNACK 3) whenever hashing fell behind
    // on a loaded machine (1,469 of 19,000 in a run of 2026-12-05); spread over a district's
    // addresses, the gateway's two hashing slots serve them all.
    mqtt: {
      ...(base.mqtt as object),
      host: '127.0.0.1',
      port: 0,
      persistence: o.persistence,
      connectLimit: { exempt: ['127.0.0.0/8', '::1/128'], hashSlotsPerAddress: 2, hashQueuePerAddress: 1_000_000 },
    },
    // Only the devices' own adapter (mqtt-native) runs: the shipped adapters' settings name
    // devices of the demo district (a 110 receiver, an SMS centre) that are not here.
    adapters: {},
    // The demo accounts name the demo district's schools; these benchmarks log nobody in.
    auth: { ...(base.auth as object), users: [] },
    sites,
    simulation: { heartbeatSeconds: o.heartbeatSeconds, faults: {} },
  };
}

export function writeSyntheticConfig(file: string, o: DistrictOptions): void {
  writeFileSync(file, stringify(syntheticConfig(o)));
}

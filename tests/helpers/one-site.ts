/**
 * A gateway with one school and only the devices a test names (none of the default district,
 * none of its adapters or far ends), on ephemeral loopback ports with a temporary data dir:
 *
 *   const t = await startOneSite({
 *     devices: [{ id: 'sch-01-bar-9', kind: 'barrier', adapter: 'barrier-http-acme', name: 'gate', options: { controller: 'c1', unit: 1 } }],
 *     adapters: { 'barrier-http-acme': { controllers: { c1: { host: '127.0.0.1', port, apiKey: 'k' } } } },
 *   });
 *   …
 *   await t.close();
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { build, type BuildOptions, type Gateway } from '../../gateway/app.js';
import { loadConfig, mergeLayers, type LoadedConfig } from '../../gateway/config/load.js';
import { tempDir } from './gateway.js';
import { operatorApi, type OperatorApi } from './operator-api.js';

export const ONE_SITE = 'sch-01';

export interface OneSiteOptions {
  /** The school's devices (`secret` for MQTT devices: plaintext is hashed at load in tests). */
  devices: Record<string, unknown>[];
  /** Adapter configuration; the default district's adapters are all left out. */
  adapters?: Record<string, unknown>;
  /** Laid over the school (sch-01, entry 07:30–08:30 and exit 16:30–17:30 on school days). */
  site?: Record<string, unknown>;
  /** Any other configuration, laid over the rest. */
  overrides?: Record<string, unknown>;
}

export interface OneSiteGateway extends OperatorApi {
  gw: Gateway;
  baseUrl: string;
  mqttUrl: string;
  close(): Promise<void>;
}

/** The one-site configuration itself (for tests that start far ends or simulators from it). */
export function oneSiteConfig(opts: OneSiteOptions, dataDir = tempDir('gw-one-site-')): LoadedConfig {
  const defaults = loadConfig({ env: {} }).config;
  // Every adapter the default district configures is dropped (`null`), then the test's own.
  const adapters = { ...Object.fromEntries(Object.keys(defaults.adapters).map((k) => [k, null])), ...opts.adapters };
  const site = {
    id: ONE_SITE,
    name: '测试学校',
    district: defaults.district.id,
    protectionWindows: [
      { days: [1, 2, 3, 4, 5], start: '07:30', end: '08:30', label: 'entry' },
      { days: [1, 2, 3, 4, 5], start: '16:30', end: '17:30', label: 'exit' },
    ],
    ...opts.site,
    devices: opts.devices,
  };
  const layer = {
    dataDir,
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    adapters,
    sites: [site],
    // The demo operators without a school (admin, duty, tech, tester…) stay; school accounts name schools that are gone.
    auth: { users: defaults.auth.users.filter((u) => !('school' in u) || u.school === undefined) },
  };
  return loadConfig({ env: {}, overrides: mergeLayers(layer, opts.overrides ?? {}) as Record<string, unknown> });
}

export async function startOneSite(opts: OneSiteOptions, buildOpts: BuildOptions = {}): Promise<OneSiteGateway> {
  const dataDir = tempDir('gw-one-site-');
  const loaded = oneSiteConfig(opts, dataDir);
  const gw = await build(loaded, { log: pino({ level: process.env.TEST_LOG ?? 'silent' }), ...buildOpts });
  const { httpPort, mqttPort } = await gw.listen();
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  return {
    gw,
    baseUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    ...operatorApi(baseUrl),
    async close() {
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

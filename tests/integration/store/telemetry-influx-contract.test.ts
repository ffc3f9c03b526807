import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createInfluxStore } from '../../../gateway/store/telemetry-influx.js';
import { telemetryStoreContract } from '../../contract/telemetry-store-contract.js';
import { startInfluxd, type InfluxdHandle } from '../../../simulators/influxd.js';

const log = pino({ level: 'silent' });
let influxd: InfluxdHandle;
let n = 0;

beforeAll(async () => {
  influxd = await startInfluxd();
});

afterAll(async () => {
  await influxd?.stop();
});

telemetryStoreContract('influx', async (opts) => {
  const database = `contract_${++n}`;
  const spoolDir = await mkdtemp(join(tmpdir(), 'telemetry-spool-'));
  const make = () => createInfluxStore({ url: influxd.url, database, spoolDir, ...opts }, log);
  return {
    store: make(),
    reopen: make,
    dispose: async () => {
      await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }) });
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createEmbeddedStore } from '../../../gateway/store/telemetry-embedded.js';
import { telemetryStoreContract } from '../../contract/telemetry-store-contract.js';

const log = pino({ level: 'silent' });

telemetryStoreContract('embedded', async (opts) => {
  const dir = await mkdtemp(join(tmpdir(), 'telemetry-embedded-'));
  const make = () => createEmbeddedStore({ dir, ...opts }, log);
  return {
    store: make(),
    reopen: make,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

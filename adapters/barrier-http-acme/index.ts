/** barrier-http-acme: Acme GateKeeper barrier controllers over HTTP (see README.md). */
import type { AdapterFactory } from '../../gateway/contract/adapter.js';
import { ACME_TYPE, AcmeGateKeeperAdapter } from './adapter.js';
import { AcmeConfigSchema, type AcmeConfig } from './config.js';
import { ACME_ERRORS } from './errors.js';

export { ACME_TYPE, AcmeGateKeeperAdapter } from './adapter.js';

export const barrierHttpAcmeAdapter: AdapterFactory<AcmeConfig> = {
  type: ACME_TYPE,
  description: 'Anti-collision barriers on Acme GateKeeper controllers (HTTP JSON API): polled, raised and lowered with verification',
  kinds: ['barrier'],
  // The adapter polls: a barrier that stops answering is `unreachable` from here, not a missed heartbeat.
  availability: 'active',
  cluster: 'singleton',
  configSchema: AcmeConfigSchema,
  errors: ACME_ERRORS,
  create: (config, ctx) => new AcmeGateKeeperAdapter(config, ctx),
};

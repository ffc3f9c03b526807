/**
 * radio: the walkie-talkie leg of broadcasts ("一呼百应") and the schools' emergency calls
 * from their handsets, through radio dispatch gateways speaking the v1 MQTT device topics.
 * See README.md.
 */
import type { AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import type { RadioAdapter } from './adapter-api.js';
import { RADIO_ADAPTER_TYPE, RadioAdapterImpl } from './adapter.js';
import { RadioConfigSchema, resolveRadioConfig, type RadioConfig } from './config.js';
import { RADIO_ERRORS } from './errors.js';

export type { RadioAdapter, RollCallAck, TalkgroupOutcome, TransmitOptions, TxAckEvent, TxStatus } from './adapter-api.js';
export type { RadioConfig, RadioConfigInput, TalkgroupConfig } from './config.js';
export { RadioConfigSchema, resolveRadioConfig } from './config.js';
export { RADIO_ERRORS } from './errors.js';
export { spokenForm } from './spoken.js';
export { RADIO_ADAPTER_TYPE } from './adapter.js';

/** An AdapterFactory whose create() returns the full radio API, not just Adapter. */
export interface RadioAdapterFactory extends AdapterFactory<RadioConfig> {
  create(config: RadioConfig, ctx: AdapterContext): RadioAdapter;
}

export const radioAdapter: RadioAdapterFactory = {
  type: RADIO_ADAPTER_TYPE,
  description: 'Radio dispatch gateways (walkie-talkie talkgroups) on the v1 MQTT topics: broadcasts with per-talkgroup acks, roll-call, emergency calls from school handsets',
  kinds: ['radio'],
  channels: ['radio'],
  // The adapter supervises the gateways itself (heartbeats, ping, tx acks) and reports
  // `unreachable` / `channel-unbound`; the core's passive no-heartbeat timer would only repeat it.
  availability: 'active',
  cluster: 'singleton',
  configSchema: RadioConfigSchema,
  errors: RADIO_ERRORS,
  // resolveRadioConfig is idempotent: defaults the loader already applied stay as they are.
  create: (config, ctx) => new RadioAdapterImpl(resolveRadioConfig(config), ctx),
};

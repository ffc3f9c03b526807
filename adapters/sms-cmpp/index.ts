/**
 * sms-cmpp: the SMS leg of broadcasts ("一呼百应") over CMPP 2.0 / 3.0, China Mobile's SP–ISMG
 * protocol. One adapter instance is one ISMG long connection and one channel Device of kind
 * 'sms'. See README.md.
 */
import type { AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import type { SmsCmppAdapter } from './adapter-api.js';
import { SmsCmppAdapterImpl } from './adapter.js';
import { resolveSmsCmppConfig, SmsCmppConfigSchema, type SmsCmppConfig } from './config.js';
import { CMPP_ERRORS } from './errors.js';

export type { LinkEvent, ReplyEvent, SendOptions, SmsCmppAdapter, SubmissionResult } from './adapter-api.js';
export type { RecipientState, RecipientStatus, StatusChange } from './delivery-tracker.js';
export type { FailureReason } from './report-stat.js';
export type { ResolvedCmppConfig, SmsCmppConfig, SmsCmppConfigInput } from './config.js';
export { resolveSmsCmppConfig, SmsCmppConfigSchema } from './config.js';
export { CMPP_ERRORS } from './errors.js';

/** An AdapterFactory whose create() returns the full SMS channel API, not just Adapter. */
export interface SmsCmppAdapterFactory extends AdapterFactory<SmsCmppConfig> {
  create(config: SmsCmppConfig, ctx: AdapterContext): SmsCmppAdapter;
}

export const smsCmppAdapter: SmsCmppAdapterFactory = {
  type: 'sms-cmpp',
  description: 'SMS broadcast channel over CMPP 2.0/3.0 (China Mobile ISMG): long UCS-2 messages, status reports matched across restarts, replies',
  kinds: ['sms'],
  channels: ['sms'],
  availability: 'active',
  cluster: 'singleton',
  configSchema: SmsCmppConfigSchema,
  errors: CMPP_ERRORS,
  // Reads sharedSecretFile and checks what the schema cannot; idempotent on a resolved config.
  create: (config, ctx) => new SmsCmppAdapterImpl(resolveSmsCmppConfig(config), ctx),
};

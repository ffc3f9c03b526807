/**
 * sms-smpp: the SMS leg of broadcasts ("一呼百应") over SMPP 3.4. One adapter instance is one
 * SMSC transceiver link and one channel Device of kind 'sms'. See README.md.
 */
import type { AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import type { SmsSmppAdapter } from './adapter-api.js';
import { SmsSmppAdapterImpl } from './adapter.js';
import { SmsSmppConfigSchema, resolveSmsSmppConfig, type SmsSmppConfig } from './config.js';
import { SMS_ERRORS } from './errors.js';

export type { LinkEvent, ReceiptEvent, ReplyEvent, SendOptions, SmsSmppAdapter, SubmissionResult } from './adapter-api.js';
export type { RecipientState, RecipientStatus, StatusChange, ChangeCause } from './delivery-tracker.js';
export type { FailureReason, Receipt } from './receipt-codec.js';
export type { SmsSmppConfig, SmsSmppConfigInput } from './config.js';
export { SmsSmppConfigSchema, resolveSmsSmppConfig } from './config.js';
export { SMS_ERRORS } from './errors.js';

/** An AdapterFactory whose create() returns the full SMS channel API, not just Adapter. */
export interface SmsSmppAdapterFactory extends AdapterFactory<SmsSmppConfig> {
  create(config: SmsSmppConfig, ctx: AdapterContext): SmsSmppAdapter;
}

export const smsSmppAdapter: SmsSmppAdapterFactory = {
  type: 'sms-smpp',
  description: 'SMS broadcast channel over SMPP 3.4 (bind_transceiver): concatenated UCS-2/GSM messages, delivery receipts, replies',
  kinds: ['sms'],
  channels: ['sms'],
  availability: 'active',
  cluster: 'singleton',
  configSchema: SmsSmppConfigSchema,
  errors: SMS_ERRORS,
  // resolveSmsSmppConfig is idempotent: defaults the loader already applied stay as they are.
  create: (config, ctx) => new SmsSmppAdapterImpl(resolveSmsSmppConfig(config), ctx),
};

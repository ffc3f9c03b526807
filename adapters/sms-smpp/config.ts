/** Configuration of the sms-smpp adapter: one SMSC link, one channel device. */
import { Type, type Static } from '@sinclair/typebox';
import { checkConfig, configInvalid } from '../../gateway/contract/config-check.js';

const Ms = (def: number, min = 0, description?: string) =>
  Type.Integer({ minimum: min, default: def, ...(description ? { description } : {}) });

export const SmsSmppConfigSchema = Type.Object(
  {
    /** Id of the channel Device (kind 'sms') that carries this link's health. */
    deviceId: Type.String({ minLength: 1, default: 'sms-channel' }),
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 2775 }),
    /** SMPP 3.4 §4.1.1: system_id is at most 15 characters, password at most 8. */
    systemId: Type.String({ minLength: 1, maxLength: 15 }),
    password: Type.String({ maxLength: 8, default: '' }),
    systemType: Type.String({ maxLength: 12, default: '' }),
    /** Sender shown on phones (service number or alphanumeric sender id). */
    sourceAddr: Type.String({ maxLength: 20, default: '' }),
    sourceTon: Type.Integer({ minimum: 0, maximum: 6, default: 0 }),
    sourceNpi: Type.Integer({ minimum: 0, maximum: 18, default: 0 }),
    destTon: Type.Integer({ minimum: 0, maximum: 6, default: 0 }),
    destNpi: Type.Integer({ minimum: 0, maximum: 18, default: 1 }),
    /** Ask for SMSC delivery receipts (registered_delivery 0x01). */
    registeredDelivery: Type.Boolean({ default: true }),
    /** Validity period in minutes (relative, SMPP 3.4 §7.1.1.2); 0 leaves it to the SMSC. */
    validityMinutes: Type.Integer({ minimum: 0, maximum: 10080, default: 0 }),
    /** Always send UCS-2, even for GSM-only text (some operators garble the default alphabet). */
    forceUcs2: Type.Boolean({ default: false }),

    enquireLinkMs: Ms(30_000, 1000, 'enquire_link period while bound (SMPP 3.4 §4.11)'),
    responseTimeoutMs: Ms(10_000, 100, 'no response to a request within this: the session is dead'),
    bindTimeoutMs: Ms(10_000, 100, 'connect + bind_transceiver_resp within this'),
    reconnectMinMs: Ms(1000, 10),
    reconnectMaxMs: Ms(60_000, 10),

    /** Submits awaiting submit_sm_resp at once. */
    window: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
    retryBackoffMs: Ms(2000, 0),
    throttleBackoffMs: Ms(1000, 1),
    throttleBackoffMaxMs: Ms(30_000, 1),
    /** Parts not submitted within this after send() are given up (NOT_SENT). */
    maxQueueMs: Ms(30 * 60_000, 1000),

    /** How receipt ids are matched to submit_sm_resp ids; see message-id-index.ts. */
    receiptIdMatch: Type.Union([Type.Literal('flexible'), Type.Literal('exact')], { default: 'flexible' }),
    /** DELIVRD sooner than this after acceptance is flagged suspect (fake receipts); 0 disables. */
    suspectReceiptMs: Ms(1000, 0),
    orphanReceiptTtlMs: Ms(60_000, 100),
    /** Multi-part replies whose parts stop coming are handed on incomplete after this. */
    concatTimeoutMs: Ms(60_000, 100),
    /** Per-recipient states are kept this long after their last change. */
    retainMs: Ms(24 * 3600_000, 1000),
    /** Listener (onReply/onReceipt) time budget before deliver_sm_resp is sent anyway. */
    listenerTimeoutMs: Ms(5000, 10),
  },
  { additionalProperties: false },
);

export type SmsSmppConfig = Static<typeof SmsSmppConfigSchema>;

/** Input as a person writes it: everything with a default may be left out. */
export type SmsSmppConfigInput = Partial<SmsSmppConfig> & Pick<SmsSmppConfig, 'systemId'>;

/** Applies defaults and validates; throws GW_ERR_CONFIG_INVALID listing every `path: message`. */
export function resolveSmsSmppConfig(input: unknown): SmsSmppConfig {
  const cfg = checkConfig(SmsSmppConfigSchema, input, 'sms-smpp config invalid');
  if (cfg.reconnectMaxMs < cfg.reconnectMinMs) throw configInvalid('sms-smpp config invalid', ['/reconnectMaxMs: must be >= reconnectMinMs']);
  return Object.freeze(cfg);
}

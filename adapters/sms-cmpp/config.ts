/**
 * Configuration of the sms-cmpp adapter (`adapters.sms-cmpp`): one ISMG long connection, one
 * channel device. Defaults follow the spec's suggestions (CMPP 2.0 §6.1, 3.0 §7.1: C = 180 s,
 * T = 60 s, N = 3, W = 16; §6.3 / §7.3: port 7890 for SP–ISMG long connections).
 *
 * The shared secret must stay usable: AuthenticatorSource is an MD5 over it, so a hash of it
 * is worthless. Give it inline (`sharedSecret`, redacted from logs by the gateway's logger) or
 * as a file (`sharedSecretFile`, read at start), never both.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GatewayError } from '../../gateway/contract/errors.js';

const Seconds = (def: number, min: number, description: string) => Type.Number({ minimum: min, default: def, description });
const Ms = (def: number, min: number, description: string) => Type.Integer({ minimum: min, default: def, description });
const Ascii = (max: number, opts: { min?: number; def?: string; description: string }) =>
  Type.String({ maxLength: max, pattern: '^[\\x20-\\x7E]*$', ...(opts.min !== undefined ? { minLength: opts.min } : {}), ...(opts.def !== undefined ? { default: opts.def } : {}), description: opts.description });

export const SmsCmppConfigSchema = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, default: 'sms-cmpp', description: 'the channel Device (kind sms) that carries the link health' }),
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 7890 }),
    spId: Ascii(6, { min: 1, description: 'SP_Id, the enterprise code: Source_Addr of CMPP_CONNECT and Msg_src of CMPP_SUBMIT' }),
    sharedSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'shared secret agreed with the operator' })),
    sharedSecretFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the shared secret (trailing newline ignored)' })),
    serviceId: Ascii(10, { def: '', description: 'Service_Id' }),
    srcId: Ascii(21, { min: 1, description: 'Src_Id: the sender number phones show (SP service code, e.g. 106571234)' }),
    version: Type.Union([Type.Literal('2.0'), Type.Literal('3.0')], { default: '2.0', description: 'CMPP version offered in CMPP_CONNECT' }),
    versionFallback: Type.Boolean({ default: true, description: 'offer 2.0 after an ISMG answers 3.0 with Status 4 (version too high)' }),
    verifyIsmg: Type.Union([Type.Literal('off'), Type.Literal('warn'), Type.Literal('enforce')], { default: 'warn', description: 'check AuthenticatorISMG of CMPP_CONNECT_RESP' }),
    timeZone: Type.String({ minLength: 1, default: 'Asia/Shanghai', description: 'clock of the CONNECT Timestamp' }),

    feeUserType: Type.Integer({ minimum: 0, maximum: 3, default: 2, description: 'Fee_UserType: 2 = the SP pays' }),
    feeTerminalId: Ascii(21, { def: '', description: 'Fee_terminal_Id (only with feeUserType 3)' }),
    feeType: Ascii(2, { def: '01', description: 'FeeType: 01 = free for the charged number' }),
    feeCode: Ascii(6, { def: '0', description: 'FeeCode, in fen' }),
    msgLevel: Type.Integer({ minimum: 0, maximum: 9, default: 0 }),
    validityMinutes: Type.Integer({ minimum: 0, maximum: 10080, default: 0, description: 'ValId_Time, relative (SMPP 3.3 format); 0 leaves it to the ISMG' }),

    window: Type.Integer({ minimum: 1, maximum: 256, default: 16, description: 'W: SUBMITs awaiting SUBMIT_RESP at once' }),
    activeTestSeconds: Seconds(180, 0.05, 'C: ACTIVE_TEST after this long without data from the ISMG'),
    activeTestTimeoutSeconds: Seconds(60, 0.05, 'T: wait this long for ACTIVE_TEST_RESP before trying again'),
    activeTestTries: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'N: unanswered ACTIVE_TESTs before reconnecting' }),
    responseTimeoutSeconds: Seconds(60, 0.05, 'T: a SUBMIT without SUBMIT_RESP for this long is sent again'),
    submitTries: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'N: sends of one part without an answer before it fails' }),
    connectTimeoutSeconds: Seconds(10, 0.05, 'TCP connect + CMPP_CONNECT_RESP within this'),
    reconnectMinMs: Ms(1000, 10, 'reconnect backoff, first delay'),
    reconnectMaxMs: Ms(60_000, 10, 'reconnect backoff, cap'),
    retryBackoffMs: Ms(2000, 0, 'delay before a part is sent again (doubling)'),
    throttleBackoffMs: Ms(1000, 1, 'pause after Result 8 (flow control), doubling'),
    throttleBackoffMaxMs: Ms(30_000, 1, 'cap of that pause'),
    maxQueueMs: Ms(30 * 60_000, 1000, 'parts not accepted this long after send() fail as NOT_SENT'),
    orphanReportTtlMs: Ms(60_000, 100, 'a report waits this long for its SUBMIT_RESP'),
    concatTimeoutMs: Ms(60_000, 100, 'multi-part replies whose parts stop coming are handed on incomplete'),
    retainHours: Type.Number({ minimum: 0.001, default: 48, description: 'recipients kept this long after their last change (CMPP 3.0 §8.4.5.1: reports may take 48 h)' }),
    listenerTimeoutMs: Ms(5000, 10, 'reply listeners may take this long before DELIVER_RESP goes out anyway'),
  },
  { additionalProperties: false },
);

export type SmsCmppConfig = Static<typeof SmsCmppConfigSchema>;

/** Input as a person writes it: everything with a default may be left out. */
export type SmsCmppConfigInput = Partial<SmsCmppConfig> & Pick<SmsCmppConfig, 'spId' | 'srcId'>;

/** The configuration with the shared secret read, as the adapter runs on it. */
export interface ResolvedCmppConfig extends SmsCmppConfig {
  readonly secret: string;
}

function invalid(errors: string[]): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_INVALID', `sms-cmpp config invalid: ${errors.join('; ')}`, { details: errors });
}

/**
 * Applies defaults and validates; throws GW_ERR_CONFIG_INVALID listing every
 * `/adapters/sms-cmpp/<path>: message`. Reads sharedSecretFile.
 */
export function resolveSmsCmppConfig(input: unknown): ResolvedCmppConfig {
  const withDefaults = Value.Default(SmsCmppConfigSchema, structuredClone(input ?? {})) as unknown;
  const errors = [...Value.Errors(SmsCmppConfigSchema, withDefaults)].map((e) => `/adapters/sms-cmpp${e.path || ''}: ${e.message}`);
  if (errors.length > 0) throw invalid(errors);
  const cfg = withDefaults as SmsCmppConfig;
  if ((cfg.sharedSecret === undefined) === (cfg.sharedSecretFile === undefined)) {
    errors.push('/adapters/sms-cmpp/sharedSecret: give exactly one of sharedSecret or sharedSecretFile');
  }
  if (cfg.reconnectMaxMs < cfg.reconnectMinMs) errors.push('/adapters/sms-cmpp/reconnectMaxMs: must be >= reconnectMinMs');
  if (cfg.throttleBackoffMaxMs < cfg.throttleBackoffMs) errors.push('/adapters/sms-cmpp/throttleBackoffMaxMs: must be >= throttleBackoffMs');
  try {
    new Intl.DateTimeFormat('en', { timeZone: cfg.timeZone });
  } catch {
    errors.push(`/adapters/sms-cmpp/timeZone: unknown time zone '${cfg.timeZone}'`);
  }
  let secret = cfg.sharedSecret ?? '';
  if (cfg.sharedSecretFile !== undefined && errors.length === 0) {
    try {
      secret = readFileSync(cfg.sharedSecretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      errors.push(`/adapters/sms-cmpp/sharedSecretFile: cannot read ${cfg.sharedSecretFile}: ${(err as Error).message}`);
    }
    if (errors.length === 0 && secret.length === 0) errors.push(`/adapters/sms-cmpp/sharedSecretFile: ${cfg.sharedSecretFile} is empty`);
  }
  if (errors.length > 0) throw invalid(errors);
  const resolved = { ...cfg } as ResolvedCmppConfig;
  // Not enumerable: a log line or JSON.stringify of the config cannot carry the secret read from a file.
  Object.defineProperty(resolved, 'secret', { value: secret, enumerable: false });
  return Object.freeze(resolved);
}

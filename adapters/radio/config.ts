/** Configuration of the radio adapter (config `adapters.radio`): timers, retries, talkgroups. */
import { Type, type Static } from '@sinclair/typebox';
import { configInvalid, configProblems } from '../../gateway/contract/config-check.js';

const Ms = (def: number, min: number, description: string) => Type.Integer({ minimum: min, default: def, description });
const TalkgroupId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });

export const TalkgroupSchema = Type.Object(
  {
    id: TalkgroupId,
    /** School (site id) the talkgroup belongs to: an emergency call on it is that school's. */
    siteId: Type.Optional(Type.String({ minLength: 1 })),
    /** Radio dispatch gateway (device id) that carries it; optional when only one gateway exists. */
    radio: Type.Optional(Type.String({ minLength: 1 })),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RadioConfigSchema = Type.Object(
  {
    /** Per attempt: how long to wait for the gateway's tx-ack of each talkgroup. */
    ackTimeoutMs: Ms(3000, 10, 'wait for tx-ack per attempt'),
    /** Attempts after the first for talkgroups still unacknowledged (same message id every time). */
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
    /** Heartbeat (telemetry) period the radio gateway is configured with. */
    heartbeatIntervalMs: Ms(30_000, 10, 'expected heartbeat period'),
    /** Heartbeat periods without any message from the gateway before `unreachable`. */
    missedHeartbeats: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    pingTimeoutMs: Ms(3000, 10, 'check(): wait for pong'),
    /** Longest spoken form (TTS gateways), in characters. */
    spokenMaxChars: Type.Integer({ minimum: 10, maximum: 500, default: 60 }),
    /** Added to every broadcast whose Outbound names no talkgroups (patrol groups: 一呼百应). */
    broadcastTalkgroups: Type.Array(TalkgroupId, { default: [] }),
    /** Ask radio units to confirm (roll-call) each broadcast. */
    rollCall: Type.Boolean({ default: true }),
    /** Talkgroup directory; schools' contacts with a `radio` talkgroup are added to it. */
    talkgroups: Type.Array(TalkgroupSchema, { default: [] }),
    /** Broadcast references kept for tx de-duplication and roll-call answers. */
    retainRefs: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  },
  { additionalProperties: false },
);

export type RadioConfig = Static<typeof RadioConfigSchema>;
export type TalkgroupConfig = Static<typeof TalkgroupSchema>;
/** Input as a person writes it: everything has a default. */
export type RadioConfigInput = Partial<RadioConfig>;

/** Applies defaults and validates; throws GW_ERR_CONFIG_INVALID listing every `path: message`. */
export function resolveRadioConfig(input: unknown): RadioConfig {
  const { value: cfg, problems: errors } = configProblems(RadioConfigSchema, input);
  if (errors.length === 0) {
    const seen = new Set<string>();
    cfg.talkgroups.forEach((tg, i) => {
      if (seen.has(tg.id)) errors.push(`/talkgroups/${i}/id: duplicate talkgroup '${tg.id}'`);
      seen.add(tg.id);
    });
  }
  if (errors.length > 0) throw configInvalid('radio config invalid', errors);
  return Object.freeze(cfg);
}

/**
 * Pure codec for the radio dispatch gateway's payloads on the v1 device topics
 * (campus/v1/{siteId}/{radioId}/cmd|event|telemetry|status): JSON in, typed messages out,
 * or the reason a payload is refused. Used by the adapter and by the simulator. No I/O.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Scalar } from '../../gateway/contract/types.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../shared/json-guard.js';
import { MAX_DEVICE_TIME_MS } from '../../gateway/contract/adapter.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Talkgroup = Type.String({ minLength: 1, maxLength: 64 });
const Unit = Type.String({ minLength: 1, maxLength: 64 });
const At = Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DEVICE_TIME_MS, description: 'ms since epoch' }));
const Seq = Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 }));
const Scalars = Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]);

// ── gateway → radio gateway, on …/cmd ────────────────────────────────────────────────────

export const TxCommandSchema = Type.Object(
  {
    op: Type.Literal('tx'),
    /** The broadcast reference: the same on every retry, so the radio gateway announces once. */
    id: Id,
    attempt: Type.Integer({ minimum: 1 }),
    talkgroups: Type.Array(Talkgroup, { minItems: 1, maxItems: 1000 }),
    text: Type.String({ minLength: 1, maxLength: 2000 }),
    /** Short form for text-to-speech (spoken.ts); the radio gateway reads this one out. */
    speech: Type.String({ maxLength: 500 }),
    priority: Type.Union([Type.Literal('emergency'), Type.Literal('normal')]),
    /** Ask the units to confirm (rollcall-ack). */
    rollCall: Type.Boolean(),
    /**
     * Drop the transmission when it arrives after this (ms since epoch): a gateway holding a
     * persistent session could otherwise announce a stale incident after reconnecting. MQTT 3.1.1
     * has no message expiry (MQTT 5 §3.3.2.3.3 has), so it travels in the payload.
     */
    validUntil: Type.Integer({ minimum: 0 }),
    at: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type TxCommand = Static<typeof TxCommandSchema>;

export const PingCommandSchema = Type.Object({ op: Type.Literal('ping'), id: Id, at: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export type PingCommand = Static<typeof PingCommandSchema>;

export const RadioCommandSchema = Type.Union([TxCommandSchema, PingCommandSchema]);
export type RadioCommand = Static<typeof RadioCommandSchema>;

// ── radio gateway → gateway, on …/event ──────────────────────────────────────────────────

const ev = <K extends string, T extends Record<string, TSchema>>(type: K, props: T) =>
  Type.Object({ type: Type.Literal(type), ...props, at: At, seq: Seq }, { additionalProperties: false });

export const TxAckSchema = ev('tx-ack', {
  id: Id,
  talkgroup: Talkgroup,
  /** ok: announced on the talkgroup (or already announced: dup). failed: not announced, see reason. */
  status: Type.Union([Type.Literal('ok'), Type.Literal('failed')]),
  reason: Type.Optional(Type.String({ maxLength: 128 })),
  dup: Type.Optional(Type.Boolean()),
});
export const PongSchema = ev('pong', { id: Id });
export const RollCallAckSchema = ev('rollcall-ack', { id: Id, unit: Unit, talkgroup: Type.Optional(Talkgroup) });
const CallProps = {
  talkgroup: Talkgroup,
  unit: Unit,
  /** The radio system's call id: the same on a resend, so one call is one event. */
  callId: Type.Optional(Id),
  /** Only when the radio gateway knows the school itself; the talkgroup directory wins. */
  siteId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
};
export const EmergencyCallSchema = ev('emergency-call', CallProps);
export const EmergencyCancelSchema = ev('emergency-cancel', CallProps);
const FaultProps = { code: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])), detail: Type.Optional(Type.String({ maxLength: 256 })) };
export const FaultSchema = ev('fault', FaultProps);
export const FaultClearedSchema = ev('fault-cleared', FaultProps);

export const RadioEventSchema = Type.Union([TxAckSchema, PongSchema, RollCallAckSchema, EmergencyCallSchema, EmergencyCancelSchema, FaultSchema, FaultClearedSchema]);
export type RadioEvent = Static<typeof RadioEventSchema>;
export type TxAck = Static<typeof TxAckSchema>;
export type EmergencyCall = Static<typeof EmergencyCallSchema>;
export type EmergencyCancel = Static<typeof EmergencyCancelSchema>;
export type RollCallAckMessage = Static<typeof RollCallAckSchema>;

// ── radio gateway → gateway, on …/telemetry (the heartbeat) ──────────────────────────────

export const HeartbeatSchema = Type.Object(
  {
    at: At,
    seq: Seq,
    /** The radio side of the gateway (its link to the trunking controller or repeater). */
    radio: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down')])),
  },
  { additionalProperties: Scalars },
);
/** Extra scalar readings (uptime, queue depth, battery…) ride along and are kept as telemetry. */
export type Heartbeat = Static<typeof HeartbeatSchema> & { [field: string]: Scalar | undefined };

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: 'too-large' | 'too-deep' | 'not-json' | 'schema' | 'bad-status'; detail: string };

/** Payload size the adapter reads on event, telemetry and status (a status is a word). */
export const DEFAULT_MAX_BYTES = 16_384;

const EVENT_CHECKS: Record<string, TypeCheck<TSchema>> = Object.fromEntries(
  [TxAckSchema, PongSchema, RollCallAckSchema, EmergencyCallSchema, EmergencyCancelSchema, FaultSchema, FaultClearedSchema].map((s) => [
    (s.properties.type as { const: string }).const,
    TypeCompiler.Compile(s),
  ]),
);
const HEARTBEAT_CHECK = TypeCompiler.Compile(HeartbeatSchema);
const COMMAND_CHECKS: Record<string, TypeCheck<TSchema>> = { tx: TypeCompiler.Compile(TxCommandSchema), ping: TypeCompiler.Compile(PingCommandSchema) };

function firstError(check: TypeCheck<TSchema>, value: unknown): string {
  const e = check.Errors(value).First();
  return e ? `${e.path || '/'}: ${e.message}` : 'invalid';
}

/** Size and nesting first, so a hostile payload is refused before JSON.parse builds it. */
function guard(payload: Buffer, maxBytes: number): { ok: true; text: string } | { ok: false; reason: 'too-large' | 'too-deep'; detail: string } {
  if (payload.length > maxBytes) return { ok: false, reason: 'too-large', detail: `${payload.length} bytes > ${maxBytes}` };
  const text = payload.toString('utf8');
  if (jsonNestingExceeds(text)) return { ok: false, reason: 'too-deep', detail: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  return { ok: true, text };
}

function parseJson(payload: Buffer, maxBytes: number): Decoded<unknown> {
  const g = guard(payload, maxBytes);
  if (!g.ok) return g;
  try {
    return { ok: true, value: JSON.parse(g.text) as unknown };
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message.slice(0, 120) };
  }
}

/** Picks the schema by the discriminant first, so the error names the field that is wrong. */
function decodeTagged<T>(payload: Buffer, maxBytes: number, tag: 'type' | 'op', checks: Record<string, TypeCheck<TSchema>>): Decoded<T> {
  const parsed = parseJson(payload, maxBytes);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  const kind = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[tag] : undefined;
  // Own keys only: a payload naming `toString` or `__proto__` must not reach Object.prototype.
  const check = typeof kind === 'string' && Object.hasOwn(checks, kind) ? checks[kind] : undefined;
  if (!check) return { ok: false, reason: 'schema', detail: `/${tag}: expected one of ${Object.keys(checks).join(', ')}` };
  if (!check.Check(v)) return { ok: false, reason: 'schema', detail: firstError(check, v) };
  return { ok: true, value: v as T };
}

export const decodeEvent = (payload: Buffer, maxBytes = DEFAULT_MAX_BYTES): Decoded<RadioEvent> => decodeTagged(payload, maxBytes, 'type', EVENT_CHECKS);

export const decodeCommand = (payload: Buffer, maxBytes = 65_536): Decoded<RadioCommand> => decodeTagged(payload, maxBytes, 'op', COMMAND_CHECKS);

export function decodeHeartbeat(payload: Buffer, maxBytes = DEFAULT_MAX_BYTES): Decoded<Heartbeat> {
  const parsed = parseJson(payload, maxBytes);
  if (!parsed.ok) return parsed;
  if (!HEARTBEAT_CHECK.Check(parsed.value)) return { ok: false, reason: 'schema', detail: firstError(HEARTBEAT_CHECK, parsed.value) };
  return { ok: true, value: parsed.value as Heartbeat };
}

/** The retained status: `online` / `offline` (also the will, MQTT 3.1.1 §3.1.2.5), or {"status": …}. */
export function decodeStatus(payload: Buffer, maxBytes = DEFAULT_MAX_BYTES): Decoded<'online' | 'offline'> {
  const g = guard(payload, maxBytes);
  if (!g.ok) return g;
  const text = g.text.trim();
  let status: unknown = text;
  if (text.startsWith('{')) {
    try {
      status = (JSON.parse(text) as { status?: unknown }).status;
    } catch {
      return { ok: false, reason: 'not-json', detail: 'status is neither online/offline nor JSON' };
    }
  }
  if (status !== 'online' && status !== 'offline') return { ok: false, reason: 'bad-status', detail: 'status must be online or offline' };
  return { ok: true, value: status };
}

export const encodeCommand = (cmd: RadioCommand): string => JSON.stringify(cmd);
export const encodeEvent = (e: RadioEvent): string => JSON.stringify(e);
export const encodeHeartbeat = (h: Heartbeat): string => JSON.stringify(h);

/** Heartbeat fields as event data for the core (at and seq travel beside it). */
export function heartbeatData(h: Heartbeat): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === 'at' || k === 'seq') continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

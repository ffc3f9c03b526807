/**
 * Pure codec for the v1 MQTT payloads: bytes + device kind + topic leaf → an event for the
 * core, or a reason the payload is refused. No I/O.
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import type { DeviceEventInput } from '../../gateway/contract/adapter.js';
import type { Scalar } from '../../gateway/contract/types.js';
import type { DeviceKind, DiscreteEventType } from '../../gateway/contract/vocabulary.js';
import type { DeviceLeaf } from '../../gateway/contract/topics.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../shared/json-guard.js';
import { eventSchemas, telemetrySchemas } from './payload-schemas.js';

export type DecodeResult =
  | { ok: true; event: DeviceEventInput }
  | { ok: false; reason: DecodeRefusal; detail: string };

/** Why a payload was refused; counted as `rejects.payload-<reason>`. */
export type DecodeRefusal = 'too-large' | 'too-deep' | 'not-json' | 'schema' | 'bad-status';

const compile = (m: Record<DeviceKind, TSchema>) =>
  Object.fromEntries(Object.entries(m).map(([k, s]) => [k, TypeCompiler.Compile(s)])) as Record<DeviceKind, TypeCheck<TSchema>>;

const EVENT_CHECKS = compile(eventSchemas);
const TELEMETRY_CHECKS = compile(telemetrySchemas);

export interface DecodeOptions {
  maxBytes: number;
}

function schemaError(check: TypeCheck<TSchema>, value: unknown): string {
  const first = check.Errors(value).First();
  return first ? `${first.path || '/'}: ${first.message}` : 'invalid';
}

/** One level of nesting is flattened with dots (`sim.status`); deeper values are refused by the schema. */
function flatten(obj: Record<string, unknown>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  // for…in over JSON.parse output (own properties only): no [key, value] arrays per field.
  for (const k in obj) {
    if (k === 'type' || k === 'at' || k === 'seq') continue;
    const v = obj[k];
    if (typeof v === 'object' && v !== null) {
      const inner = v as Record<string, unknown>;
      for (const k2 in inner) {
        const v2 = inner[k2];
        if (typeof v2 === 'string' || typeof v2 === 'number' || typeof v2 === 'boolean') out[`${k}.${k2}`] = v2;
      }
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[k] = v;
    }
  }
  return out;
}

export function decodePayload(deviceId: string, kind: DeviceKind, leaf: DeviceLeaf, payload: Buffer, opts: DecodeOptions): DecodeResult {
  if (payload.length > opts.maxBytes) return { ok: false, reason: 'too-large', detail: `${payload.length} bytes > ${opts.maxBytes}` };
  const text = payload.toString('utf8');
  if (jsonNestingExceeds(text)) return { ok: false, reason: 'too-deep', detail: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  if (leaf === 'status') {
    // Plain `online`/`offline` (the will message), or {"status": "..."}.
    const trimmed = text.trim();
    let status: unknown = trimmed;
    if (trimmed.startsWith('{')) {
      try {
        status = (JSON.parse(trimmed) as { status?: unknown }).status;
      } catch {
        return { ok: false, reason: 'not-json', detail: 'status is neither online/offline nor JSON' };
      }
    }
    if (status !== 'online' && status !== 'offline') return { ok: false, reason: 'bad-status', detail: `status must be online or offline` };
    return { ok: true, event: { deviceId, type: 'status', data: { status } } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message.slice(0, 120) };
  }
  const check = leaf === 'event' ? EVENT_CHECKS[kind] : TELEMETRY_CHECKS[kind];
  if (!check.Check(value)) return { ok: false, reason: 'schema', detail: schemaError(check, value) };
  const obj = value as Record<string, unknown>;
  const event: DeviceEventInput = {
    deviceId,
    // The schema admitted only the kind's EVENT_TYPES.
    type: leaf === 'event' ? (obj.type as DiscreteEventType) : 'telemetry',
    data: flatten(obj),
    ...(typeof obj.at === 'number' ? { at: obj.at } : {}),
    ...(typeof obj.seq === 'number' ? { seq: obj.seq } : {}),
  };
  return { ok: true, event };
}

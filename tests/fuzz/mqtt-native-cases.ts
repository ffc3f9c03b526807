/**
 * Fuzz cases for the mqtt-native payloads (adapters/mqtt-native/payload-schemas.ts, DESIGN.md
 * "MQTT topics"): each case is a payload on one leaf of a device's v1 topics plus what the
 * adapter must do with it, worked out from the documented contract, not from the codec:
 * a valid payload becomes exactly the event it describes; a payload with one field broken is
 * refused as `payload-schema` naming that field; oversized and deeply nested payloads are
 * refused for what they are; anything random is either a well-formed event or a counted reject.
 */
import fc from 'fast-check';
import type { DeviceEventInput } from '../../gateway/contract/adapter.js';
import { EVENT_TYPES } from '../../adapters/mqtt-native/payload-schemas.js';
import { MAX_DEVICE_TIME_MS } from '../../gateway/contract/adapter.js';
import type { DeviceLeaf } from '../../gateway/contract/topics.js';
import type { Scalar } from '../../gateway/contract/types.js';
import type { DeviceEventType, DeviceKind } from '../../gateway/contract/vocabulary.js';
import { awkwardFragment, deepPayload, INVALID_FRAGMENTS, jsonish, oversized, PROTO_KEYS, protoObject, randomBytes, withRawField } from './hostile-json.js';

/** mqtt-native's default maxPayloadBytes (gateway/config/schema.ts mqtt.maxPayloadBytes). */
export const MAX_BYTES = 16_384;

export type Expectation =
  | { kind: 'event'; event: DeviceEventInput }
  | { kind: 'reject'; reason: string; detailPrefix?: string }
  /** Random input: a well-formed event or one counted reject, nothing else. */
  | { kind: 'any' };

export interface PayloadCase {
  label: string;
  leaf: DeviceLeaf;
  payload: Buffer;
  expect: Expectation;
}

const MQTT_NATIVE_KINDS = ['alarm-button', 'barrier', 'camera', 'radio'] as const satisfies readonly DeviceKind[];
export type MqttNativeKind = (typeof MQTT_NATIVE_KINDS)[number];
export { MQTT_NATIVE_KINDS };

// ── building blocks ─────────────────────────────────────────────────────────────────────────

/** Strings of at most `max` UTF-16 units (what the schema's maxLength counts), ASCII or any code point. */
export const text = (max: number, min = 0): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max }),
    fc.string({ unit: 'binary', minLength: min, maxLength: max }).filter((s) => s.length <= max),
  );

export const finite = (c: { min?: number; max?: number } = {}): fc.Arbitrary<number> => fc.double({ ...c, noNaN: true, noDefaultInfinity: true });

const hexDigits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: min, maxLength: max });
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

const RESERVED = new Set(['type', 'at', 'seq', 'code', 'detail', '__proto__']);

/** Extra scalar fields a vendor may add (kept as data): never a reserved or dotted key. */
export const extras = (taken: readonly string[]): fc.Arbitrary<Record<string, Scalar>> =>
  fc.dictionary(
    text(24).filter((k) => !RESERVED.has(k) && !taken.includes(k) && !k.includes('.')),
    fc.oneof(text(256), finite(), fc.boolean()),
    { maxKeys: 5 },
  );

/** Keys a mutation may add as an extra field with a value the schema refuses. */
const mutableExtraKey = (taken: readonly string[]) =>
  fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,11}$/), fc.constantFrom(...PROTO_KEYS)).filter((k) => !taken.includes(k) && !['type', 'at', 'seq', 'code', 'detail'].includes(k));

/** Values no extra field may have (an extra field is a string ≤ 256, a finite number or a boolean). */
const badExtraValue = fc.oneof(
  fc.constantFrom('null', '[]', '{}', '[1]', '{"a":1}', '{"polluted":true}', '1e999', '-1e999'),
  fc.integer({ min: 257, max: 3000 }).map((n) => JSON.stringify('x'.repeat(n))),
);

const str = (s: string) => JSON.stringify(s);
const num = (n: number) => JSON.stringify(n);
const nonNumber = fc.constantFrom('"1"', '"NaN"', 'null', 'true', '[]', '{}', '[1]', '1e999', '-1e999');
const nonInteger = fc.oneof(finite({ min: -1e15, max: 1e15 }).filter((d) => !Number.isInteger(d)).map(num), nonNumber);
const nonString = fc.constantFrom('1', '-1', 'null', 'true', '[]', '{}', '["press"]', '1e999');
const longString = (over: number) => fc.integer({ min: over + 1, max: over + 3000 }).map((n) => str('y'.repeat(n)));

/** Broken values per field, each one the schema must refuse at that field. */
const COMMON_BAD: Record<string, fc.Arbitrary<string>> = {
  at: fc.oneof(fc.integer({ min: -(2 ** 53), max: -1 }).map(num), fc.integer({ min: MAX_DEVICE_TIME_MS + 1, max: 2 ** 53 }).map(num), nonInteger),
  seq: fc.oneof(fc.integer({ min: -(2 ** 53), max: -1 }).map(num), fc.integer({ min: 2 ** 32, max: 2 ** 53 }).map(num), nonInteger),
};
const EVENT_BAD: Record<string, fc.Arbitrary<string>> = {
  ...COMMON_BAD,
  code: fc.oneof(longString(64), fc.constantFrom('1.5', 'true', 'null', '[]', '{}', '{"a":1}', '1e999')),
  detail: fc.oneof(longString(256), fc.constantFrom('1', 'true', 'null', '[]', '{}')),
};
const outside = (min: number, max: number) =>
  fc.oneof(finite({ min: max, max: 1e300 }).filter((d) => d > max), finite({ min: -1e300, max: min }).filter((d) => d < min)).map(num);
const TELEMETRY_BAD: Record<MqttNativeKind, Record<string, fc.Arbitrary<string>>> = {
  'alarm-button': {
    battery: fc.oneof(outside(0, 100), nonNumber),
    rssi: fc.oneof(outside(-150, 0), nonNumber),
    power: fc.oneof(text(20).filter((s) => s !== 'mains' && s !== 'battery').map(str), nonString),
    sim: fc.constantFrom(
      'null',
      '"active"',
      '1',
      '[]',
      '{}',
      '{"status":1}',
      `{"status":"${'s'.repeat(33)}"}`,
      '{"status":"active","iccid":"89860-123"}',
      '{"status":"active","iccid":"123"}',
      '{"status":"active","expires":"2027/03/31"}',
      '{"status":"active","expires":2027}',
      '{"status":"active","extra":1}',
      '{"status":"active","__proto__":{"polluted":true}}',
      '{"status":"active","sub":{"a":1}}',
    ),
  },
  barrier: {
    position: fc.oneof(text(20).filter((s) => !['raised', 'lowered', 'moving', 'fault', 'unknown'].includes(s)).map(str), nonString),
    pressure: nonNumber,
    current: nonNumber,
    impactCount: fc.oneof(fc.integer({ min: -(2 ** 53), max: -1 }).map(num), nonInteger),
    manualOverride: fc.constantFrom('"true"', '1', '0', 'null', '[]', '{}'),
  },
  camera: {
    fps: fc.oneof(finite({ min: -1e300, max: -1e-9 }).map(num), nonNumber),
    bitrate: fc.oneof(finite({ min: -1e300, max: -1e-9 }).map(num), nonNumber),
  },
  radio: { battery: fc.oneof(outside(0, 100), nonNumber) },
};

const TELEMETRY_OK: Record<MqttNativeKind, Record<string, fc.Arbitrary<unknown>>> = {
  'alarm-button': {
    battery: finite({ min: 0, max: 100 }),
    rssi: finite({ min: -150, max: 0 }),
    power: fc.constantFrom('mains', 'battery'),
    sim: fc.record(
      {
        status: text(32),
        iccid: hexDigits(10, 22),
        expires: fc.tuple(digits(4), digits(2), digits(2)).map((p) => p.join('-')),
      },
      { requiredKeys: ['status'] },
    ),
  },
  barrier: {
    position: fc.constantFrom('raised', 'lowered', 'moving', 'fault', 'unknown'),
    pressure: finite(),
    current: finite(),
    impactCount: fc.maxSafeNat(),
    manualOverride: fc.boolean(),
  },
  camera: { fps: finite({ min: 0 }), bitrate: finite({ min: 0 }) },
  radio: { battery: finite({ min: 0, max: 100 }) },
};

export const timing = { at: fc.integer({ min: 0, max: MAX_DEVICE_TIME_MS }), seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }) };

/** A payload the v1 contract accepts, as an object. */
export function validPayload(kind: MqttNativeKind, leaf: 'event' | 'telemetry'): fc.Arbitrary<Record<string, unknown>> {
  const known =
    leaf === 'event'
      ? fc.record(
          { type: fc.constantFrom(...EVENT_TYPES[kind]), ...timing, code: fc.oneof(text(64), fc.maxSafeInteger()), detail: text(256) },
          { requiredKeys: ['type'] },
        )
      : fc.record({ ...TELEMETRY_OK[kind], ...timing }, { requiredKeys: [] });
  const taken = leaf === 'event' ? [] : Object.keys(TELEMETRY_OK[kind]);
  return fc.tuple(known, extras(taken)).map(([k, x]) => ({ ...x, ...k }));
}

/**
 * The event the contract says a valid payload becomes (adapters/mqtt-native/README.md):
 * `type`, `at`, `seq` travel beside the data; every other scalar is data; one nested object
 * is flattened with dots (`sim.status`). Read back from the JSON text, as the device sent it.
 */
export function expectedEvent(deviceId: string, leaf: 'event' | 'telemetry', json: string): DeviceEventInput {
  const sent = JSON.parse(json) as Record<string, unknown>;
  const data: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(sent)) {
    if (k === 'type' || k === 'at' || k === 'seq') continue;
    if (v !== null && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) data[`${k}.${k2}`] = v2 as Scalar;
    else data[k] = v as Scalar;
  }
  return {
    deviceId,
    type: leaf === 'event' ? (String(sent.type) as DeviceEventType) : 'telemetry',
    data,
    ...(sent.at !== undefined ? { at: sent.at as number } : {}),
    ...(sent.seq !== undefined ? { seq: sent.seq as number } : {}),
  };
}

const bytes = (s: string) => Buffer.from(s, 'utf8');
const sized = (payload: Buffer, expect: Expectation): Expectation =>
  payload.length > MAX_BYTES ? { kind: 'reject', reason: 'payload-too-large', detailPrefix: '' } : expect;

// ── the cases ───────────────────────────────────────────────────────────────────────────────

function jsonLeafCases(deviceId: string, kind: MqttNativeKind, leaf: 'event' | 'telemetry'): fc.Arbitrary<PayloadCase>[] {
  const bad: Record<string, fc.Arbitrary<string>> = leaf === 'event' ? { ...EVENT_BAD, type: fc.oneof(text(30).filter((s) => !(EVENT_TYPES[kind] as string[]).includes(s)).map(str), nonString) } : { ...COMMON_BAD, ...TELEMETRY_BAD[kind] };
  const taken = leaf === 'event' ? [] : Object.keys(TELEMETRY_OK[kind]);
  const valid = validPayload(kind, leaf);
  const mutatedKnown = fc
    .tuple(valid, fc.constantFrom(...Object.keys(bad)))
    .chain(([obj, field]) => (bad[field] as fc.Arbitrary<string>).map((fragment) => ({ obj, field, fragment })));
  const mutatedExtra = fc.tuple(valid, mutableExtraKey(taken), badExtraValue).map(([obj, field, fragment]) => ({ obj, field, fragment }));
  return [
    valid.map((obj) => {
      const json = JSON.stringify(obj);
      const payload = bytes(json);
      return { label: `${leaf} valid`, leaf, payload, expect: sized(payload, { kind: 'event', event: expectedEvent(deviceId, leaf, json) }) };
    }),
    fc.oneof(mutatedKnown, mutatedExtra).map(({ obj, field, fragment }) => {
      const payload = bytes(withRawField(obj, field, fragment));
      return {
        label: `${leaf} ${field}=${fragment.slice(0, 40)}`,
        leaf,
        payload,
        expect: sized(payload, { kind: 'reject', reason: 'payload-schema', detailPrefix: `${leaf}: /${field}` }),
      };
    }),
    fc.tuple(valid, fc.constantFrom(...Object.keys(bad), 'x'), fc.constantFrom(...INVALID_FRAGMENTS)).map(([obj, field, fragment]) => {
      const payload = bytes(withRawField(obj, field, fragment));
      return { label: `${leaf} ${field} not JSON: ${fragment}`, leaf, payload, expect: sized(payload, { kind: 'reject', reason: 'payload-not-json', detailPrefix: `${leaf}: ` }) };
    }),
    valid.map((obj) => {
      const payload = bytes(oversized(obj, MAX_BYTES));
      return { label: `${leaf} oversized`, leaf, payload, expect: { kind: 'reject', reason: 'payload-too-large', detailPrefix: `${leaf}: ` } };
    }),
    deepPayload.map((s) => {
      const payload = bytes(s);
      return { label: `${leaf} deep`, leaf, payload, expect: sized(payload, { kind: 'reject', reason: 'payload-too-deep', detailPrefix: `${leaf}: ` }) };
    }),
    fc.tuple(valid, fc.constantFrom(...Object.keys(bad), 'x'), awkwardFragment).map(([obj, field, fragment]) => ({
      label: `${leaf} ${field}=${fragment.slice(0, 40)} (any)`,
      leaf,
      payload: bytes(withRawField(obj, field, fragment)),
      expect: { kind: 'any' },
    })),
  ];
}

const statusWord = fc.constantFrom('online', 'offline');
const pad = fc.constantFrom('', ' ', '\n', '\t', '\r\n', '  ');

function statusCases(deviceId: string): fc.Arbitrary<PayloadCase>[] {
  const ok = (status: string, payload: Buffer): PayloadCase => ({ label: `status ${status}`, leaf: 'status', payload, expect: { kind: 'event', event: { deviceId, type: 'status', data: { status } } } });
  return [
    fc.tuple(pad, statusWord, pad).map(([a, w, b]) => ok(w, bytes(`${a}${w}${b}`))),
    fc.tuple(statusWord, extras(['status'])).map(([w, x]) => ok(w, bytes(JSON.stringify({ ...x, status: w })))),
    fc.stringMatching(/^[A-Za-z0-9 _-]{0,40}$/)
      .filter((w) => !['online', 'offline'].includes(w.trim()))
      .map((w) => ({ label: `status word ${w}`, leaf: 'status' as const, payload: bytes(w), expect: { kind: 'reject' as const, reason: 'payload-bad-status', detailPrefix: 'status: ' } })),
    fc.oneof(awkwardFragment, text(20).map(str)).map((v) => ({
      label: `status {"status":${v.slice(0, 40)}}`,
      leaf: 'status' as const,
      payload: bytes(`{"status":${v}}`),
      expect: { kind: 'reject' as const, reason: 'payload-bad-status', detailPrefix: 'status: ' },
    })).filter((c) => !['{"status":"online"}', '{"status":"offline"}'].includes(c.payload.toString())),
    fc.constantFrom(...INVALID_FRAGMENTS).map((f) => ({ label: `status {"status":${f}}`, leaf: 'status' as const, payload: bytes(`{"status":${f}}`), expect: { kind: 'reject' as const, reason: 'payload-not-json', detailPrefix: 'status: ' } })),
  ];
}

/** Anything at all on any leaf: random bytes and text, JSON-ish noise, pollution keys. */
function noiseCases(): fc.Arbitrary<PayloadCase> {
  const leaf = fc.constantFrom('event', 'telemetry', 'status') as fc.Arbitrary<DeviceLeaf>;
  const payload = fc.oneof(
    randomBytes,
    text(300).map(bytes),
    jsonish.map(bytes),
    protoObject.map(bytes),
    fc.jsonValue({ maxDepth: 3 }).map((v) => bytes(JSON.stringify(v))),
  );
  return fc.tuple(leaf, payload).map(([l, p]) => ({ label: `${l} noise`, leaf: l, payload: p, expect: { kind: 'any' } }));
}

/** Every kind of case for one mqtt-native device, weighted towards the contract's edges. */
export function mqttNativeCases(deviceId: string, kind: MqttNativeKind): fc.Arbitrary<PayloadCase> {
  const [evValid, evMut, evNotJson, evBig, evDeep, evAny] = jsonLeafCases(deviceId, kind, 'event');
  const [tmValid, tmMut, tmNotJson, tmBig, tmDeep, tmAny] = jsonLeafCases(deviceId, kind, 'telemetry');
  const [stOk, stJson, stWord, stBad, stNotJson] = statusCases(deviceId);
  const w = (weight: number, arbitrary: fc.Arbitrary<PayloadCase> | undefined) => ({ weight, arbitrary: arbitrary as fc.Arbitrary<PayloadCase> });
  return fc.oneof(
    w(12, evValid),
    w(12, evMut),
    w(3, evNotJson),
    w(1, evBig),
    w(2, evDeep),
    w(4, evAny),
    w(12, tmValid),
    w(12, tmMut),
    w(3, tmNotJson),
    w(1, tmBig),
    w(2, tmDeep),
    w(4, tmAny),
    w(3, stOk),
    w(2, stJson),
    w(2, stWord),
    w(2, stBad),
    w(1, stNotJson),
    w(10, noiseCases()),
  );
}

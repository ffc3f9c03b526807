/**
 * Fuzz cases for a radio dispatch gateway's payloads (adapters/radio/codec.ts, README.md
 * "Topics"): events (tx-ack, pong, rollcall-ack, emergency-call/-cancel, fault/-cleared),
 * the telemetry heartbeat and the status, each with what the radio adapter must do with it.
 */
import fc from 'fast-check';
import type { DeviceEventInput } from '../../gateway/contract/adapter.js';
import type { Scalar } from '../../gateway/contract/types.js';
import { awkwardFragment, deepPayload, INVALID_FRAGMENTS, jsonish, oversized, protoObject, randomBytes, withRawField } from './hostile-json.js';
import { MAX_DEVICE_TIME_MS } from '../../gateway/contract/adapter.js';
import { extras, text, timing } from './mqtt-native-cases.js';
import type { DeviceLeaf } from '../../gateway/contract/topics.js';

/** The radio adapter reads at most this much per message (codec DEFAULT_MAX_BYTES). */
export const RADIO_MAX_BYTES = 16_384;

export type RadioExpectation =
  | { kind: 'event'; event: DeviceEventInput }
  /** An emergency call: one event, unless the same call (identity) was already handed over. */
  | { kind: 'call'; event: DeviceEventInput; identity?: string }
  /** Consumed by the adapter itself (acks, pongs, roll-call answers): no event, no reject. */
  | { kind: 'none' }
  | { kind: 'reject'; reason: string; detailPrefix?: string }
  | { kind: 'any' };

export interface RadioCase {
  label: string;
  leaf: DeviceLeaf;
  payload: Buffer;
  expect: RadioExpectation;
}

/** The fixture the cases are written against: its talkgroup directory and sites. */
export interface RadioWorld {
  radioId: string;
  /** talkgroup → school, as the directory resolves it. */
  talkgroupSite: Record<string, string>;
  sites: string[];
}

const id = text(128, 1);
const tg = (world: RadioWorld) => fc.oneof(fc.constantFrom(...Object.keys(world.talkgroupSite), 'tg-patrol'), text(64, 1));
const unit = text(64, 1);
const str = (s: string) => JSON.stringify(s);
const num = (n: number) => JSON.stringify(n);

type Shape = { type: string; fields: Record<string, fc.Arbitrary<unknown>>; required: string[]; bad: Record<string, fc.Arbitrary<string>> };

const emptyOrLong = (max: number) => fc.oneof(fc.constant('""'), fc.integer({ min: max + 1, max: max + 2000 }).map((n) => str('z'.repeat(n))));
const notString = fc.constantFrom('1', 'null', 'true', '[]', '{}', '1e999');
const badTiming: Record<string, fc.Arbitrary<string>> = {
  at: fc.oneof(fc.integer({ min: -(2 ** 53), max: -1 }).map(num), fc.integer({ min: MAX_DEVICE_TIME_MS + 1, max: 2 ** 53 }).map(num), fc.constantFrom('1.5', '"1"', 'null', '[]', '1e999')),
  seq: fc.oneof(fc.integer({ min: 2 ** 32, max: 2 ** 53 }).map(num), fc.constantFrom('-1', '0.5', '"1"', 'null')),
};

function shapes(world: RadioWorld): Shape[] {
  const call = (type: string): Shape => ({
    type,
    fields: { talkgroup: tg(world), unit, callId: id, siteId: fc.oneof(fc.constantFrom(...world.sites), text(64, 1)), ...timing },
    required: ['talkgroup', 'unit'],
    bad: { talkgroup: fc.oneof(emptyOrLong(64), notString), unit: fc.oneof(emptyOrLong(64), notString), callId: fc.oneof(emptyOrLong(128), notString), siteId: fc.oneof(emptyOrLong(64), notString), ...badTiming },
  });
  const fault = (type: string): Shape => ({
    type,
    fields: { code: fc.oneof(text(64), fc.maxSafeInteger()), detail: text(256), ...timing },
    required: [],
    bad: { code: fc.oneof(emptyOrLong(64).filter((s) => s !== '""'), fc.constantFrom('1.5', 'null', 'true', '[]', '{}')), detail: fc.oneof(emptyOrLong(256).filter((s) => s !== '""'), fc.constantFrom('1', 'null', '[]')), ...badTiming },
  });
  return [
    {
      type: 'tx-ack',
      fields: { id, talkgroup: tg(world), status: fc.constantFrom('ok', 'failed'), reason: text(128), dup: fc.boolean(), ...timing },
      required: ['id', 'talkgroup', 'status'],
      bad: { id: fc.oneof(emptyOrLong(128), notString), talkgroup: fc.oneof(emptyOrLong(64), notString), status: fc.oneof(text(10).filter((s) => s !== 'ok' && s !== 'failed').map(str), notString), reason: fc.oneof(emptyOrLong(128).filter((s) => s !== '""'), notString), dup: fc.constantFrom('"true"', '1', 'null'), ...badTiming },
    },
    { type: 'pong', fields: { id, ...timing }, required: ['id'], bad: { id: fc.oneof(emptyOrLong(128), notString), ...badTiming } },
    {
      type: 'rollcall-ack',
      fields: { id, unit, talkgroup: tg(world), ...timing },
      required: ['id', 'unit'],
      bad: { id: fc.oneof(emptyOrLong(128), notString), unit: fc.oneof(emptyOrLong(64), notString), talkgroup: fc.oneof(emptyOrLong(64), notString), ...badTiming },
    },
    call('emergency-call'),
    call('emergency-cancel'),
    fault('fault'),
    fault('fault-cleared'),
  ];
}

const record = (s: Shape) => fc.record({ ...s.fields }, { requiredKeys: s.required }).map((r) => ({ type: s.type, ...r }) as Record<string, unknown>);

/** What the adapter does with a valid event (adapters/radio/adapter.ts onEvent, onCall). */
function expectationOf(world: RadioWorld, e: Record<string, unknown>): RadioExpectation {
  const deviceId = world.radioId;
  const at = e.at === undefined ? {} : { at: e.at as number };
  switch (e.type) {
    case 'fault':
    case 'fault-cleared': {
      const data: Record<string, Scalar> = {};
      if (e.code !== undefined) data.code = e.code as Scalar;
      if (e.detail !== undefined) data.detail = e.detail as Scalar;
      return { kind: 'event', event: { deviceId, type: e.type, ...at, data } };
    }
    case 'emergency-call':
    case 'emergency-cancel': {
      const talkgroup = e.talkgroup as string;
      const claimed = e.siteId as string | undefined;
      const directory = Object.hasOwn(world.talkgroupSite, talkgroup) ? world.talkgroupSite[talkgroup] : undefined;
      const siteId = directory ?? (claimed !== undefined && world.sites.includes(claimed) ? claimed : undefined);
      const callId = e.callId as string | undefined;
      const identity = callId ?? (e.at !== undefined ? `${e.unit as string}|${talkgroup}|${e.at as number}` : undefined);
      return {
        kind: 'call',
        event: { deviceId, type: e.type, ...at, data: { talkgroup, unit: e.unit as string, detail: `${talkgroup} ${e.unit as string}`, ...(siteId ? { siteId } : {}), ...(callId ? { callId } : {}) } },
        ...(identity !== undefined ? { identity: `${e.type}|${identity}` } : {}),
      };
    }
    case 'rollcall-ack':
      // The fuzzed gateway never sent a broadcast: every answer names a broadcast it does not know.
      return { kind: 'reject', reason: 'rollcall-unknown-ref', detailPrefix: 'rollcall-ack for ' };
    default:
      return { kind: 'none' };
  }
}

const bytes = (s: string) => Buffer.from(s, 'utf8');
const sized = (payload: Buffer, expect: RadioExpectation): RadioExpectation =>
  payload.length > RADIO_MAX_BYTES ? { kind: 'reject', reason: 'payload-too-large' } : expect;

function eventCases(world: RadioWorld): fc.Arbitrary<RadioCase>[] {
  const all = shapes(world);
  const valid = fc.oneof(...all.map((s) => record(s).map((obj) => ({ shape: s, obj }))));
  const anyKey = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/);
  const mutated = valid.chain(({ shape, obj }) => {
    const fields = Object.keys(shape.bad);
    const extraKey = anyKey.filter((k) => !(k in shape.fields) && k !== 'type');
    return fc.oneof(
      fc.constantFrom(...fields).chain((f) => (shape.bad[f] as fc.Arbitrary<string>).map((fragment) => ({ obj, field: f, fragment }))),
      // additionalProperties: false — any unknown field is refused, whatever its value.
      fc.tuple(extraKey, awkwardFragment).map(([f, fragment]) => ({ obj, field: f, fragment })),
      fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), awkwardFragment).map(([f, fragment]) => ({ obj, field: f, fragment })),
    );
  });
  return [
    valid.map(({ obj }) => {
      const payload = bytes(JSON.stringify(obj));
      return { label: `event ${String(obj.type)} valid`, leaf: 'event' as const, payload, expect: sized(payload, expectationOf(world, JSON.parse(payload.toString()) as Record<string, unknown>)) };
    }),
    mutated.map(({ obj, field, fragment }) => {
      const payload = bytes(withRawField(obj, field, fragment));
      return { label: `event ${String(obj.type)} ${field}=${fragment.slice(0, 40)}`, leaf: 'event' as const, payload, expect: sized(payload, { kind: 'reject', reason: 'payload-schema', detailPrefix: `event: /${field}` }) };
    }),
    fc.tuple(valid, fc.oneof(text(20).filter((t) => !all.some((s) => s.type === t)).map(str), notString)).map(([{ obj }, fragment]) => {
      const payload = bytes(withRawField(obj, 'type', fragment));
      return { label: `event type=${fragment.slice(0, 40)}`, leaf: 'event' as const, payload, expect: sized(payload, { kind: 'reject', reason: 'payload-schema', detailPrefix: 'event: /type' }) };
    }),
  ];
}

function heartbeatCases(world: RadioWorld): fc.Arbitrary<RadioCase>[] {
  const valid = fc
    .tuple(fc.record({ radio: fc.constantFrom('up', 'down'), ...timing }, { requiredKeys: [] }), extras(['radio']))
    .map(([k, x]) => ({ ...x, ...k }) as Record<string, unknown>);
  const bad: Record<string, fc.Arbitrary<string>> = { radio: fc.oneof(text(10).filter((s) => s !== 'up' && s !== 'down').map(str), notString), ...badTiming, queue: fc.constantFrom('null', '[]', '{}', '{"a":1}', '1e999', `"${'q'.repeat(257)}"`) };
  return [
    valid.map((hb) => {
      const payload = bytes(JSON.stringify(hb));
      const sent = JSON.parse(payload.toString()) as Record<string, Scalar>;
      const data: Record<string, Scalar> = {};
      for (const [k, v] of Object.entries(sent)) if (k !== 'at' && k !== 'seq') data[k] = v;
      const event: DeviceEventInput = { deviceId: world.radioId, type: 'telemetry', data, ...(sent.at !== undefined ? { at: sent.at as number } : {}) };
      return { label: 'telemetry valid', leaf: 'telemetry' as const, payload, expect: sized(payload, { kind: 'event', event }) };
    }),
    fc.tuple(valid, fc.constantFrom(...Object.keys(bad))).chain(([hb, f]) =>
      (bad[f] as fc.Arbitrary<string>).map((fragment) => {
        const payload = bytes(withRawField(hb, f, fragment));
        return { label: `telemetry ${f}=${fragment.slice(0, 40)}`, leaf: 'telemetry' as const, payload, expect: sized(payload, { kind: 'reject', reason: 'payload-schema', detailPrefix: `telemetry: /${f}` }) };
      }),
    ),
  ];
}

function statusCases(world: RadioWorld): fc.Arbitrary<RadioCase>[] {
  const word = fc.constantFrom('online', 'offline');
  return [
    fc.tuple(fc.constantFrom('', ' ', '\n', '\r\n'), word).map(([p, w]) => ({
      label: `status ${w}`,
      leaf: 'status' as const,
      payload: bytes(`${p}${w}${p}`),
      expect: { kind: 'event' as const, event: { deviceId: world.radioId, type: 'status', data: { status: w } } },
    })),
    fc.stringMatching(/^[A-Za-z0-9 _-]{0,30}$/)
      .filter((w) => !['online', 'offline'].includes(w.trim()))
      .map((w) => ({ label: `status ${w}`, leaf: 'status' as const, payload: bytes(w), expect: { kind: 'reject' as const, reason: 'payload-bad-status', detailPrefix: 'status: ' } })),
  ];
}

function hostileCases(): fc.Arbitrary<RadioCase>[] {
  const leaf = fc.constantFrom('event', 'telemetry', 'status') as fc.Arbitrary<DeviceLeaf>;
  return [
    fc.tuple(leaf, deepPayload).map(([l, s]) => {
      const payload = bytes(s);
      return { label: `${l} deep`, leaf: l, payload, expect: sized(payload, { kind: 'reject', reason: 'payload-too-deep', detailPrefix: `${l}: ` }) };
    }),
    fc.tuple(leaf, fc.constantFrom(...INVALID_FRAGMENTS)).map(([l, f]) => ({
      label: `${l} not JSON ${f}`,
      leaf: l,
      payload: bytes(`{"type":"fault","code":${f}}`),
      expect: { kind: 'reject', reason: 'payload-not-json', detailPrefix: `${l}: ` },
    })),
    fc.tuple(leaf, fc.integer({ min: RADIO_MAX_BYTES, max: RADIO_MAX_BYTES * 4 })).map(([l, n]) => ({
      label: `${l} oversized ${n}`,
      leaf: l,
      payload: bytes(oversized({ type: 'fault' }, n)),
      expect: { kind: 'reject', reason: 'payload-too-large', detailPrefix: `${l}: ` },
    })),
    fc.tuple(leaf, fc.oneof(randomBytes, text(300).map(bytes), jsonish.map(bytes), protoObject.map(bytes), fc.jsonValue({ maxDepth: 3 }).map((v) => bytes(JSON.stringify(v))))).map(([l, p]) => ({
      label: `${l} noise`,
      leaf: l,
      payload: p,
      expect: { kind: 'any' },
    })),
  ];
}

export function radioCases(world: RadioWorld): fc.Arbitrary<RadioCase> {
  const [evValid, evMut, evType] = eventCases(world);
  const [hbValid, hbMut] = heartbeatCases(world);
  const [stOk, stBad] = statusCases(world);
  const [deep, notJson, big, noise] = hostileCases();
  const w = (weight: number, arbitrary: fc.Arbitrary<RadioCase> | undefined) => ({ weight, arbitrary: arbitrary as fc.Arbitrary<RadioCase> });
  return fc.oneof(w(16, evValid), w(16, evMut), w(4, evType), w(8, hbValid), w(8, hbMut), w(3, stOk), w(2, stBad), w(2, deep), w(2, notJson), w(1, big), w(10, noise));
}


/**
 * Property-based fuzzing of every MQTT payload the gateway accepts on the v1 device topics
 * (campus/v1/{siteId}/{deviceId}/event|telemetry|status, gateway/contract/topics.ts): the
 * mqtt-native adapter (buttons, barriers, cameras, radio-kind devices) and the radio adapter
 * (radio dispatch gateways), both subscribed to one fake bus as in the gateway.
 *
 * Per message: no exception escapes the handler, nothing is rejected unhandled, and the
 * message has exactly one outcome — the event the contract describes, or one reject with a
 * stable reason and a detail naming what is wrong, counted in Counters as `rejects.<reason>`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttNativeAdapter } from '../../adapters/mqtt-native/index.js';
import { EVENT_TYPES } from '../../adapters/mqtt-native/payload-schemas.js';
import { MAX_DEVICE_TIME_MS } from '../../gateway/contract/adapter.js';
import { radioAdapter, resolveRadioConfig } from '../../adapters/radio/index.js';
import type { Adapter, DeviceEventInput } from '../../gateway/contract/adapter.js';
import { deviceTopic, type DeviceLeaf } from '../../gateway/contract/topics.js';
import type { Device, Site } from '../../gateway/contract/types.js';
import { countingContext, fuzzParams, fuzzTimeout, total, expectNothingEscapes, type CountingContext } from './fuzz-support.js';
import { assertNoPollution } from './hostile-json.js';
import { MAX_BYTES, MQTT_NATIVE_KINDS, mqttNativeCases, type MqttNativeKind, type PayloadCase } from './mqtt-native-cases.js';
import { radioCases, type RadioCase, type RadioWorld } from './radio-cases.js';

const site = (id: string, contacts: Site['contacts'] = []): Site => ({ id, name: id, district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts });
const SITES: Site[] = [site('ps-1'), site('sch-01', [{ name: '门卫室', role: 'guard-post', radio: 'tg-sch-01' }]), site('sch-02')];
const device = (id: string, siteId: string, kind: Device['kind'], adapter: string): Device => ({ id, siteId, kind, adapter, name: id, options: {} });
const NATIVE: Record<MqttNativeKind, Device> = {
  'alarm-button': device('btn-1', 'sch-01', 'alarm-button', 'mqtt-native'),
  barrier: device('bar-1', 'sch-01', 'barrier', 'mqtt-native'),
  camera: device('cam-1', 'sch-02', 'camera', 'mqtt-native'),
  radio: device('rad-9', 'sch-02', 'radio', 'mqtt-native'),
};
const RADIO = device('radio-1', 'ps-1', 'radio', 'radio');
const MODBUS = device('mb-1', 'sch-01', 'barrier', 'barrier-modbus');
const DEVICES = [...Object.values(NATIVE), RADIO, MODBUS];
const WORLD: RadioWorld = { radioId: RADIO.id, talkgroupSite: { 'tg-sch-01': 'sch-01' }, sites: SITES.map((s) => s.id) };

const NATIVE_REFUSALS = ['payload-too-large', 'payload-too-deep', 'payload-not-json', 'payload-schema', 'payload-bad-status'];

/** Where a message is published: mostly the device's own topic, sometimes a topic no device may use. */
type Route = 'own' | 'wrong-site' | 'unknown-device' | 'other-adapter';
const route: fc.Arbitrary<Route> = fc.oneof({ weight: 36, arbitrary: fc.constant('own' as const) }, fc.constantFrom('wrong-site', 'unknown-device', 'other-adapter') as fc.Arbitrary<Route>);

interface Outcome {
  events: DeviceEventInput[];
  rejects: { reason: string; detail: string; deviceId?: string }[];
  counted: number;
}

/** Well-formed for the core: a scalar record with finite numbers, no prototype keys, sane at/seq. */
function expectWellFormed(e: DeviceEventInput, deviceId: string, leaf: DeviceLeaf, allowedTypes: readonly string[]): void {
  expect(e.deviceId).toBe(deviceId);
  if (leaf === 'telemetry') expect(e.type).toBe('telemetry');
  else if (leaf === 'status') expect(e).toStrictEqual({ deviceId, type: 'status', data: { status: e.data?.status } });
  else expect(allowedTypes).toContain(e.type);
  expect(Object.getPrototypeOf(e.data)).toBe(Object.prototype);
  expect(Object.hasOwn(e.data ?? {}, '__proto__')).toBe(false);
  for (const v of Object.values(e.data ?? {})) {
    expect(['string', 'number', 'boolean']).toContain(typeof v);
    if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  }
  if (e.at !== undefined) expect(Number.isInteger(e.at) && e.at >= 0 && e.at <= MAX_DEVICE_TIME_MS).toBe(true);
  if (e.seq !== undefined) expect(Number.isInteger(e.seq) && e.seq >= 0 && e.seq < 2 ** 32).toBe(true);
}

function expectReject(o: Outcome, reason: string, deviceId: string | undefined, detailPrefix = ''): void {
  expect(o.events).toStrictEqual([]);
  expect(o.rejects).toHaveLength(1);
  const r = o.rejects[0] as Outcome['rejects'][number];
  expect({ reason: r.reason, deviceId: r.deviceId }).toStrictEqual({ reason, deviceId });
  // A clear error: the prefix (leaf and field path) and then a message.
  expect(r.detail.startsWith(detailPrefix), `detail ${JSON.stringify(r.detail)} should start with ${JSON.stringify(detailPrefix)}`).toBe(true);
  expect(r.detail.length).toBeGreaterThan(detailPrefix.length);
}

describe('fuzz: MQTT device payloads (mqtt-native and radio adapters on one bus)', () => {
  let ctx: CountingContext;
  let adapters: Adapter[];
  expectNothingEscapes();

  beforeAll(async () => {
    ctx = countingContext({ sites: SITES, devices: DEVICES });
    adapters = [
      mqttNativeAdapter.create({ maxPayloadBytes: MAX_BYTES }, ctx),
      // Long heartbeat period: supervision timers stay out of the way of a fast fuzz run; calls are
      // remembered long enough that the test's own record of delivered calls stays exact.
      radioAdapter.create(resolveRadioConfig({ heartbeatIntervalMs: 3_600_000, retainRefs: 100_000 }), ctx),
    ];
    for (const a of adapters) await a.start();
  });

  afterAll(async () => {
    for (const a of adapters) await a.stop();
  });

  /** Publishes one message on the fake bus and returns what it caused. */
  async function publish(topic: string, payload: Buffer): Promise<Outcome> {
    const e0 = ctx.events.length;
    const r0 = ctx.rejects.length;
    const c0 = total(ctx.counters, 'rejects.');
    await ctx.inject(topic, payload);
    return { events: ctx.events.slice(e0), rejects: ctx.rejects.slice(r0), counted: total(ctx.counters, 'rejects.') - c0 };
  }

  it(
    'mqtt-native: every payload is the documented event or one counted, explained reject',
    async () => {
      const cases = fc.constantFrom(...MQTT_NATIVE_KINDS).chain((kind) => fc.tuple(fc.constant(kind), mqttNativeCases(NATIVE[kind].id, kind), route));
      await fc.assert(
        fc.asyncProperty(cases, async ([kind, c, where]: [MqttNativeKind, PayloadCase, Route]) => {
          const d = NATIVE[kind];
          const topic =
            where === 'own'
              ? deviceTopic(d.siteId, d.id, c.leaf)
              : where === 'wrong-site'
                ? deviceTopic(d.siteId === 'sch-01' ? 'sch-02' : 'sch-01', d.id, c.leaf)
                : where === 'unknown-device'
                  ? deviceTopic(d.siteId, `${d.id}-x`, c.leaf)
                  : deviceTopic(MODBUS.siteId, MODBUS.id, c.leaf);
          const o = await publish(topic, c.payload);
          assertNoPollution();
          expect(o.counted).toBe(o.rejects.length);
          if (where === 'other-adapter') {
            expect(o).toStrictEqual({ events: [], rejects: [], counted: 0 });
            return;
          }
          if (where !== 'own') {
            expectReject(o, 'unknown-device', where === 'wrong-site' ? d.id : `${d.id}-x`, 'no mqtt-native device ');
            return;
          }
          const x = c.expect;
          if (x.kind === 'event') {
            expect(o.rejects).toStrictEqual([]);
            expect(o.events).toStrictEqual([x.event]);
          } else if (x.kind === 'reject') {
            expectReject(o, x.reason, d.id, x.detailPrefix);
          } else {
            expect(o.events.length + o.rejects.length).toBe(1);
            const [e] = o.events;
            if (e) expectWellFormed(e, d.id, c.leaf, EVENT_TYPES[kind]);
            else expectReject(o, (o.rejects[0] as Outcome['rejects'][number]).reason, d.id, `${c.leaf}: `);
            if (!e) expect(NATIVE_REFUSALS).toContain(o.rejects[0]?.reason);
          }
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(4),
  );

  it(
    'radio: every payload of a radio dispatch gateway is handled, consumed or one counted, explained reject',
    async () => {
      /** Calls handed to the core so far: a resend of one is dropped (adapters/radio/adapter.ts onCall). */
      const delivered = new Set<string>();
      const where = fc.oneof({ weight: 30, arbitrary: fc.constant('own' as const) }, fc.constant('wrong-site' as const));
      await fc.assert(
        fc.asyncProperty(radioCases(WORLD), where, async (c: RadioCase, w: 'own' | 'wrong-site') => {
          const o = await publish(deviceTopic(w === 'own' ? RADIO.siteId : 'sch-01', RADIO.id, c.leaf), c.payload);
          assertNoPollution();
          expect(o.counted).toBe(o.rejects.length);
          if (w === 'wrong-site') {
            // Counted once, by the adapter that owns the device (not also by mqtt-native).
            expectReject(o, 'wrong-site', RADIO.id, `campus/v1/sch-01/${RADIO.id}/${c.leaf}: `);
            return;
          }
          const x = c.expect;
          switch (x.kind) {
            case 'event':
              expect(o).toStrictEqual({ events: [x.event], rejects: [], counted: 0 });
              return;
            case 'call': {
              const first = x.identity === undefined || !delivered.has(x.identity);
              // Recorded before asserting: the adapter remembers the call even when this case fails.
              if (x.identity !== undefined && o.events.length > 0) delivered.add(x.identity);
              expect(o).toStrictEqual({ events: first ? [x.event] : [], rejects: [], counted: 0 });
              return;
            }
            case 'none':
              expect(o).toStrictEqual({ events: [], rejects: [], counted: 0 });
              return;
            case 'reject':
              expectReject(o, x.reason, RADIO.id, x.detailPrefix);
              return;
            case 'any': {
              expect(o.rejects.length).toBeLessThanOrEqual(1);
              expect(o.events.length).toBeLessThanOrEqual(1);
              expect(o.events.length + o.rejects.length).toBeLessThanOrEqual(1);
              const [e] = o.events;
              if (e) {
                if (e.type.startsWith('emergency-')) {
                  const d = e.data ?? {};
                  delivered.add(`${e.type}|${d.callId !== undefined ? String(d.callId) : `${String(d.unit)}|${String(d.talkgroup)}|${String(e.at)}`}`);
                }
                expectWellFormed(e, RADIO.id, c.leaf, ['fault', 'fault-cleared', 'emergency-call', 'emergency-cancel']);
              }
              if (o.rejects[0]) expectReject(o, o.rejects[0].reason, RADIO.id, `${c.leaf}: `);
              return;
            }
          }
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(4),
  );

  it('refuses deep nesting (up to a million levels) and oversized payloads on every leaf, counted once each', async () => {
    const deep = [
      '['.repeat(8_000) + ']'.repeat(8_000),
      '{"a":'.repeat(2_700) + '1' + '}'.repeat(2_700),
      '{"type":"press","x":' + '[{"a":'.repeat(2_000) + 'null' + '}]'.repeat(2_000) + '}',
    ];
    const big = ['['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), '['.repeat(1_000_000)];
    for (const [payloads, reason, detail] of [
      [deep, 'payload-too-deep', 'JSON nested deeper than 16 levels'],
      [big, 'payload-too-large', 'bytes > 16384'],
    ] as const) {
      for (const p of payloads) {
        for (const leaf of ['event', 'telemetry', 'status'] as const) {
          for (const d of [NATIVE['alarm-button'], NATIVE.barrier, RADIO]) {
            const o = await publish(deviceTopic(d.siteId, d.id, leaf), Buffer.from(p));
            expect(o.events).toStrictEqual([]);
            expect(o.rejects.map((r) => [r.reason, r.deviceId, r.detail.startsWith(`${leaf}: `) && r.detail.endsWith(detail)])).toStrictEqual([[reason, d.id, true]]);
            expect(o.counted).toBe(1);
          }
        }
      }
    }
  });
});

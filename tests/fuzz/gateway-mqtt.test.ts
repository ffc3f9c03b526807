/**
 * End-to-end hostile-input property through the real gateway and its real broker over TCP:
 * an alarm button (authenticated as itself) publishes a few hundred random payloads on its
 * own v1 topics at QoS 1; each refused one is counted in the gateway's Counters under the
 * reason the mqtt-native codec gives (the codec itself is fuzzed in mqtt-payloads.test.ts).
 * Afterwards the gateway is still up and a valid press still raises the panic alarm.
 */
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../../adapters/mqtt-native/codec.js';
import { deviceTopic } from '../../gateway/contract/topics.js';
import { connectAs, startGateway, type TestGateway } from '../helpers/gateway.js';
import { fuzzParams, expectNothingEscapes } from './fuzz-support.js';
import { MAX_BYTES, mqttNativeCases } from './mqtt-native-cases.js';

const DEVICE = 'sch-01-btn-1';
const SITE = 'sch-01';
/** A few hundred: at the default per-device rate limit (burst 200, then 50/s) this stays well under a minute. */
const RUNS = 300;

describe('fuzz: a device publishing hostile payloads to the real gateway', () => {
  let t: TestGateway;
  let device: MqttClient;
  expectNothingEscapes();

  beforeAll(async () => {
    t = await startGateway();
    device = await connectAs(t.mqttUrl, DEVICE);
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.close();
  });

  it(
    `${RUNS} random payloads on its own topics: each refused one counted under its reason; then a press still raises the alarm`,
    async () => {
      const counters = t.gw.counters;
      const maxBytes = t.gw.loaded.config.mqtt.maxPayloadBytes;
      expect(maxBytes).toBe(MAX_BYTES);
      await fc.assert(
        fc.asyncProperty(mqttNativeCases(DEVICE, 'alarm-button'), async (c) => {
          const before = counters.snapshot('rejects.');
          await device.publishAsync(deviceTopic(SITE, DEVICE, c.leaf), c.payload, { qos: 1 });
          const after = counters.snapshot('rejects.');
          const delta = Object.fromEntries(Object.entries(after).flatMap(([k, v]) => (v !== (before[k] ?? 0) ? [[k, v - (before[k] ?? 0)]] : [])));
          const verdict = decodePayload(DEVICE, 'alarm-button', c.leaf, c.payload, { maxBytes });
          expect(delta).toStrictEqual(verdict.ok ? {} : { [`rejects.payload-${verdict.reason}`]: 1 });
          expect(device.connected).toBe(true);
        }),
        { ...fuzzParams(RUNS) },
      );

      // Still up: the health endpoint answers, the device is still connected.
      const health = await fetch(`${t.baseUrl}/api/health`, { signal: AbortSignal.timeout(10_000) });
      expect(health.status).toBe(200);
      expect(device.connected).toBe(true);

      // And a valid press still raises (or, if a fuzzed press already did, repeats) the panic alarm.
      const open = () => t.gw.alarms.openAlarms().find((a) => a.type === 'panic' && a.deviceId === DEVICE);
      const prior = open();
      await device.publishAsync(deviceTopic(SITE, DEVICE, 'event'), JSON.stringify({ type: 'press' }), { qos: 1 });
      const alarm = open();
      expect(alarm).toBeDefined();
      if (prior) expect({ id: alarm?.id, repeats: alarm?.repeats }).toStrictEqual({ id: prior.id, repeats: prior.repeats + 1 });
      else expect(alarm?.state).toBe('active');
      const listed = await t.api('/api/alarms');
      expect(listed.status).toBe(200);
      expect(JSON.stringify(await listed.json())).toContain(alarm?.id);
    },
    120_000,
  );
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mqttNativeAdapter } from '../../../../adapters/mqtt-native/index.js';
import { radioAdapter, resolveRadioConfig } from '../../../../adapters/radio/index.js';
import type { Adapter } from '../../../../gateway/contract/adapter.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

const site = (id: string): Site => ({ id, name: id, district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] });
const DEVICES: Device[] = [
  { id: 'btn-1', siteId: 'sch-01', kind: 'alarm-button', adapter: 'mqtt-native', name: 'btn', options: {} },
  { id: 'radio-1', siteId: 'ps-1', kind: 'radio', adapter: 'radio', name: 'radio', options: {} },
];

describe('mqtt-native adapter on a fake bus (with the radio adapter beside it, as in the gateway)', () => {
  let ctx: FakeContext;
  let adapters: Adapter[];
  beforeEach(async () => {
    ctx = fakeContext({ sites: [site('sch-01'), site('ps-1')], devices: DEVICES });
    adapters = [mqttNativeAdapter.create({ maxPayloadBytes: 1024 }, ctx), radioAdapter.create(resolveRadioConfig({ heartbeatIntervalMs: 3_600_000 }), ctx)];
    for (const a of adapters) await a.start();
  });
  afterEach(async () => {
    for (const a of adapters) await a.stop();
  });

  it('counts each refused message once: another adapter’s device at the wrong site is that adapter’s to refuse', async () => {
    await ctx.inject('campus/v1/sch-01/radio-1/event', '{"type":"pong","id":"x"}');
    await ctx.inject('campus/v1/sch-02/btn-1/event', '{"type":"press"}');
    await ctx.inject('campus/v1/sch-01/nobody/event', '{"type":"press"}');
    await ctx.inject('campus/v1/sch-01/btn-1/event', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]');
    expect(ctx.rejects.map((r) => [r.reason, r.deviceId])).toStrictEqual([
      ['wrong-site', 'radio-1'],
      ['unknown-device', 'btn-1'],
      ['unknown-device', 'nobody'],
      ['payload-too-deep', 'btn-1'],
    ]);
    expect(ctx.events).toStrictEqual([]);
  });
});

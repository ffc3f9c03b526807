import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../../adapters/mqtt-native/codec.js';

const dec = (kind: Parameters<typeof decodePayload>[1], leaf: Parameters<typeof decodePayload>[2], text: string) =>
  decodePayload('b1', kind, leaf, Buffer.from(text), { maxBytes: 1024 });

describe('mqtt-native codec', () => {
  it('decodes the v1 payload shapes', () => {
    expect(dec('alarm-button', 'event', '{"type":"press","at":1795000000000,"seq":3}')).toStrictEqual({
      ok: true,
      event: { deviceId: 'b1', type: 'press', data: {}, at: 1795000000000, seq: 3 },
    });
    expect(dec('alarm-button', 'telemetry', '{"battery":87,"rssi":-71,"power":"mains","sim":{"status":"active","iccid":"89860012345678901234","expires":"2027-03-31"}}')).toStrictEqual({
      ok: true,
      event: { deviceId: 'b1', type: 'telemetry', data: { battery: 87, rssi: -71, power: 'mains', 'sim.status': 'active', 'sim.iccid': '89860012345678901234', 'sim.expires': '2027-03-31' } },
    });
    expect(dec('barrier', 'event', '{"type":"fault","code":"HYD-LOW","vendorField":7}')).toStrictEqual({
      ok: true,
      event: { deviceId: 'b1', type: 'fault', data: { code: 'HYD-LOW', vendorField: 7 } },
    });
    expect(dec('alarm-button', 'status', 'offline')).toStrictEqual({ ok: true, event: { deviceId: 'b1', type: 'status', data: { status: 'offline' } } });
    expect(dec('alarm-button', 'status', '{"status":"online"}')).toMatchObject({ ok: true, event: { data: { status: 'online' } } });
  });

  it('refuses what does not fit, with a reason and the path', () => {
    expect(dec('alarm-button', 'event', '{"type":"press"')).toMatchObject({ ok: false, reason: 'not-json' });
    expect(dec('alarm-button', 'event', '{"type":"impact"}')).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/type/) });
    expect(dec('alarm-button', 'telemetry', '{"battery":140}')).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/battery/) });
    expect(dec('alarm-button', 'event', '{"type":"press","x":{"y":{"z":1}}}')).toMatchObject({ ok: false, reason: 'schema' });
    expect(dec('alarm-button', 'event', '[1,2]')).toMatchObject({ ok: false, reason: 'schema' });
    expect(dec('alarm-button', 'status', 'maybe')).toMatchObject({ ok: false, reason: 'bad-status' });
    expect(decodePayload('b1', 'alarm-button', 'event', Buffer.alloc(2000, 32), { maxBytes: 1024 })).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('refuses deep nesting before parsing it, and device times the telemetry stores cannot keep', () => {
    const deep = '['.repeat(500) + ']'.repeat(500);
    for (const leaf of ['event', 'telemetry', 'status'] as const) {
      expect(dec('alarm-button', leaf, deep)).toStrictEqual({ ok: false, reason: 'too-deep', detail: 'JSON nested deeper than 16 levels' });
    }
    // Brackets inside strings are text, not nesting.
    expect(dec('alarm-button', 'event', JSON.stringify({ type: 'press', detail: '['.repeat(200) }))).toMatchObject({ ok: true });
    expect(dec('alarm-button', 'event', '{"type":"press","at":9223372036854}')).toMatchObject({ ok: true, event: { at: 9_223_372_036_854 } });
    expect(dec('alarm-button', 'event', '{"type":"press","at":9223372036855}')).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/at: /) });
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { radioAdapter, resolveRadioConfig, type RadioAdapter } from '../../../../adapters/radio/index.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

const SITES: Site[] = [
  { id: 'ps-1', name: '派出所', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] },
  { id: 'sch-01', name: '一中', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [{ name: '门卫室', role: 'guard-post', radio: 'tg-sch-01' }] },
];
const DEVICES: Device[] = [
  { id: 'radio-1', siteId: 'ps-1', kind: 'radio', adapter: 'radio', name: '对讲调度网关', options: {} },
  { id: 'btn-1', siteId: 'sch-01', kind: 'alarm-button', adapter: 'mqtt-native', name: '按钮', options: {} },
];
const T = (leaf: string, site = 'ps-1', id = 'radio-1') => `campus/v1/${site}/${id}/${leaf}`;

describe('radio adapter on a fake bus', () => {
  let ctx: FakeContext;
  let adapter: RadioAdapter;
  beforeEach(async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    ctx = fakeContext({ sites: SITES, devices: DEVICES });
    adapter = radioAdapter.create(resolveRadioConfig({ heartbeatIntervalMs: 1000, missedHeartbeats: 2 }), ctx);
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    vi.useRealTimers();
  });

  it('refuses bad payloads with the device id, leaves other adapters’ devices alone, and checks the site', async () => {
    await ctx.inject(T('event'), '{"type":');
    await ctx.inject(T('event'), JSON.stringify({ type: 'tx-ack', id: 'a' }));
    await ctx.inject(T('telemetry'), JSON.stringify({ radio: 'maybe' }));
    await ctx.inject(T('status'), 'asleep');
    await ctx.inject(T('event', 'sch-01', 'btn-1'), '{"type":"press"}');
    await ctx.inject(T('event', 'sch-01'), '{"type":"pong","id":"x"}');
    expect(ctx.rejects.map((r) => [r.reason, r.deviceId])).toStrictEqual([
      ['payload-not-json', 'radio-1'],
      ['payload-schema', 'radio-1'],
      ['payload-schema', 'radio-1'],
      ['payload-bad-status', 'radio-1'],
      ['wrong-site', 'radio-1'],
    ]);
    expect(ctx.events).toStrictEqual([]);
  });

  it('forwards heartbeats, faults and status to the core', async () => {
    await ctx.inject(T('telemetry'), JSON.stringify({ at: 5, seq: 1, radio: 'up', queue: 2 }));
    await ctx.inject(T('event'), JSON.stringify({ type: 'fault', code: 'PA-OVERHEAT' }));
    await ctx.inject(T('status'), 'online');
    expect(ctx.events).toStrictEqual([
      { deviceId: 'radio-1', type: 'telemetry', at: 5, data: { radio: 'up', queue: 2 } },
      { deviceId: 'radio-1', type: 'fault', data: { code: 'PA-OVERHEAT' } },
      { deviceId: 'radio-1', type: 'status', data: { status: 'online' } },
    ]);
  });

  it('does not take the will (offline) as a sign of life', async () => {
    await ctx.inject(T('telemetry'), '{}');
    await vi.advanceTimersByTimeAsync(1500);
    await ctx.inject(T('status'), 'offline');
    await vi.advanceTimersByTimeAsync(1000);
    expect(ctx.activeConditions('radio-1')).toStrictEqual(['unreachable']);
  });

  it('retries handing an emergency call to the core when the core refused it', async () => {
    const emit = ctx.emit.bind(ctx);
    let refuse = true;
    ctx.emit = async (e) => {
      if (refuse) throw new Error('store busy');
      await emit(e);
    };
    const call = JSON.stringify({ type: 'emergency-call', talkgroup: 'tg-sch-01', unit: 'hs-1', callId: 'c-1' });
    await ctx.inject(T('event'), call);
    expect(ctx.rejects).toStrictEqual([{ reason: 'refused-by-core', detail: 'store busy', deviceId: 'radio-1' }]);
    refuse = false;
    await ctx.inject(T('event'), call);
    await ctx.inject(T('event'), call);
    expect(ctx.events).toStrictEqual([{ deviceId: 'radio-1', type: 'emergency-call', data: { talkgroup: 'tg-sch-01', unit: 'hs-1', detail: 'tg-sch-01 hs-1', siteId: 'sch-01', callId: 'c-1' } }]);
  });

  it('transmits through the bus on the gateway’s cmd topic and leaves no timer or subscription after stop()', async () => {
    const p = adapter.transmit('radio-1', ['tg-sch-01'], '测试 https://x.example/a', 'bc-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.published.map((m) => [m.topic, JSON.parse(m.payload.toString()) as unknown])).toStrictEqual([
      [
        T('cmd'),
        { op: 'tx', id: 'bc-1', attempt: 1, talkgroups: ['tg-sch-01'], text: '测试 https://x.example/a', speech: '测试', priority: 'normal', rollCall: true, validUntil: 1_009_000, at: 1_000_000 },
      ],
    ]);
    await ctx.inject(T('event'), JSON.stringify({ type: 'tx-ack', id: 'bc-1', talkgroup: 'tg-sch-01', status: 'ok' }));
    expect((await p)[0]?.status).toBe('acked');
    await adapter.stop();
    expect(vi.getTimerCount()).toBe(0);
    await ctx.inject(T('telemetry'), '{}');
    expect(ctx.events).toStrictEqual([]);
    await expect(adapter.transmit('radio-1', ['tg-sch-01'], '测试', 'bc-2')).rejects.toMatchObject({ code: 'GW_ERR_RADIO_NOT_STARTED' });
  });
});

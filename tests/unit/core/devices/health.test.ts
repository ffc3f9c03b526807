import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import { HealthTracker } from '../../../../gateway/core/devices/health.js';
import { Registry } from '../../../../gateway/core/devices/registry.js';
import type { Device, DeviceEvent, Health } from '../../../../gateway/contract/types.js';
import type { DeviceEventType } from '../../../../gateway/contract/vocabulary.js';

const site = { id: 's1', name: '一中', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
const devices: Device[] = [
  { id: 'b1', siteId: 's1', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b1', options: {} },
  { id: 'b2', siteId: 's1', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b2', heartbeatTimeout: 10, options: {} },
  { id: 'c1', siteId: 's1', kind: 'camera', adapter: 'camera-onvif', name: 'c1', options: {} },
];

describe('HealthTracker', () => {
  let tracker: HealthTracker;
  let changes: Health[];
  const ev = (deviceId: string, type: DeviceEventType, data: DeviceEvent['data'] = {}): DeviceEvent => ({
    id: 'e', deviceId, siteId: 's1', type, at: Date.now(), receivedAt: Date.now(), data,
  });

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-23T08:00:00+08:00') });
    const bus = new EventBus(pino({ level: 'silent' }));
    changes = [];
    bus.on('health.changed', 'test', ({ health }) => changes.push(health));
    tracker = new HealthTracker(new Registry([site], devices), bus, systemClock, {
      heartbeatTimeout: { 'alarm-button': 90, camera: 180 },
      lowBatteryPercent: 20,
      simExpiringDays: 30,
    }, (d) => d.adapter === 'mqtt-native');
    tracker.start();
  });
  afterEach(() => {
    tracker.stop();
    vi.useRealTimers();
  });

  it('times out passive devices per kind or per device, never active ones, and recovers on the next message', () => {
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    expect(tracker.get('b1')?.status).toBe('ok');
    vi.advanceTimersByTime(11_000);
    expect(tracker.get('b2')).toMatchObject({ status: 'offline', reasons: [{ code: 'no-heartbeat', detail: 'never reported' }] });
    expect(tracker.get('b1')?.status).toBe('ok');
    vi.advanceTimersByTime(80_000);
    expect(tracker.get('b1')?.reasons.map((r) => r.code)).toStrictEqual(['no-heartbeat']);
    expect(tracker.get('c1')?.status).toBe('unknown');
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    expect(tracker.get('b1')).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('moves lastSeen with every heartbeat without announcing a change, and still announces the next real one', () => {
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    const first = tracker.get('b1') as Health;
    expect(changes.filter((h) => h.deviceId === 'b1')).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    vi.advanceTimersByTime(5_000);
    tracker.observe(ev('b1', 'telemetry', { battery: 89 }));
    const later = tracker.get('b1') as Health;
    expect(later).toStrictEqual({ ...first, lastSeen: (first.lastSeen as number) + 10_000, checkedAt: first.checkedAt + 10_000 });
    // The view handed out before is not changed under its holder.
    expect(first.lastSeen).toBe(later.lastSeen as number - 10_000);
    expect(changes.filter((h) => h.deviceId === 'b1')).toHaveLength(1);
    tracker.observe(ev('b1', 'telemetry', { battery: 12 }));
    expect(changes.filter((h) => h.deviceId === 'b1').at(-1)).toMatchObject({ status: 'degraded', reasons: [{ code: 'low-battery', detail: '12%' }], lastSeen: (later.lastSeen as number) });
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    expect(changes.filter((h) => h.deviceId === 'b1').at(-1)).toMatchObject({ status: 'ok', reasons: [] });
    expect(changes.filter((h) => h.deviceId === 'b1')).toHaveLength(3);
  });

  it('derives actionable reasons from telemetry, events and status', () => {
    tracker.observe(ev('b1', 'telemetry', { battery: 12, 'sim.status': 'arrears', 'sim.expires': '2026-12-01' }));
    expect(tracker.get('b1')?.reasons.map((r) => [r.code, r.detail])).toStrictEqual([
      ['low-battery', '12%'],
      ['sim-expiring', '2026-12-01'],
      ['sim-suspended', 'arrears'],
    ]);
    tracker.observe(ev('b1', 'telemetry', { battery: 80, 'sim.status': 'active', 'sim.expires': '2027-12-01' }));
    expect(tracker.get('b1')?.reasons).toStrictEqual([]);
    tracker.observe(ev('b1', 'fault', { code: 'E12' }));
    tracker.observe(ev('b1', 'tamper'));
    expect(tracker.get('b1')).toMatchObject({ status: 'degraded', reasons: [{ code: 'fault', detail: 'E12' }, { code: 'tamper' }] });
    tracker.observe(ev('b1', 'status', { status: 'offline' }));
    expect(tracker.get('b1')?.status).toBe('offline');
    tracker.observe(ev('b1', 'fault-cleared'));
    tracker.observe(ev('b1', 'tamper-cleared'));
    tracker.observe(ev('b1', 'status', { status: 'online' }));
    expect(tracker.get('b1')).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('a condition cleared and raised again starts anew; clearing one keeps the others', () => {
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    tracker.observe(ev('b1', 'fault', { code: 'E1' }));
    const firstSince = tracker.get('b1')?.reasons[0]?.since;
    vi.advanceTimersByTime(5_000);
    tracker.observe(ev('b1', 'fault-cleared'));
    expect(tracker.get('b1')).toMatchObject({ status: 'ok', reasons: [] });
    tracker.observe(ev('b1', 'fault', { code: 'E2' }));
    tracker.observe(ev('b1', 'tamper'));
    expect(tracker.get('b1')?.reasons).toStrictEqual([
      { code: 'fault', detail: 'E2', since: (firstSince ?? 0) + 5_000 },
      { code: 'tamper', since: (firstSince ?? 0) + 5_000 },
    ]);
    tracker.observe(ev('b1', 'tamper-cleared'));
    expect(tracker.get('b1')).toMatchObject({ status: 'degraded', reasons: [{ code: 'fault', detail: 'E2' }] });
    // A silent device times out whether or not it had conditions before.
    vi.advanceTimersByTime(91_000);
    expect(tracker.get('b1')?.reasons.map((r) => r.code)).toStrictEqual(['fault', 'no-heartbeat']);
  });

  it('announces only real changes', () => {
    tracker.observe(ev('b1', 'telemetry', { battery: 90 }));
    tracker.observe(ev('b1', 'telemetry', { battery: 91 }));
    tracker.observe(ev('b1', 'telemetry', { battery: 92 }));
    expect(changes.filter((h) => h.deviceId === 'b1').map((h) => h.status)).toStrictEqual(['ok']);
    tracker.setCondition('c1', 'image-black', true, 'mean luma 3');
    tracker.setCondition('c1', 'image-black', true, 'mean luma 3');
    tracker.setCondition('c1', 'image-black', false);
    expect(changes.filter((h) => h.deviceId === 'c1').map((h) => [h.status, h.reasons.length])).toStrictEqual([
      ['degraded', 1],
      ['ok', 0],
    ]);
  });
});

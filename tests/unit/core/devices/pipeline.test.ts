import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../gateway/contract/clock.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { Counters } from '../../../../gateway/core/counters.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import type { HealthTracker } from '../../../../gateway/core/devices/health.js';
import { Pipeline } from '../../../../gateway/core/devices/pipeline.js';
import { Registry } from '../../../../gateway/core/devices/registry.js';
import type { AlarmRules } from '../../../../gateway/core/alarms/rules.js';
import type { TelemetryStore } from '../../../../gateway/store/telemetry-store.js';
import type { TelemetryPoint } from '../../../../gateway/core/devices/telemetry.js';

function setup() {
  let now = 1_000_000;
  const clock: Clock = { ...systemClock, now: () => now };
  const points: TelemetryPoint[] = [];
  const store = { write: (p: TelemetryPoint[]) => points.push(...p) } as unknown as TelemetryStore;
  const registry = new Registry([], [{ id: 'b1', siteId: 's1', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b1', options: {} }]);
  const health = { observe: () => undefined } as unknown as HealthTracker;
  const rules = { onEvent: async () => undefined } as unknown as AlarmRules;
  const counters = new Counters();
  const bus = new EventBus(pino({ level: 'silent' }));
  const p = new Pipeline(registry, health, rules, store, bus, clock, counters);
  return { p, points, counters, rules, bus, advance: (ms: number) => (now += ms) };
}

describe('Pipeline', () => {
  it('keeps readings that arrive in the same millisecond as separate points, flattening field names', async () => {
    const { p, points } = setup();
    await p.ingest({ deviceId: 'b1', type: 'telemetry', data: { battery: 90, 'sim.status': 'active' } });
    await p.ingest({ deviceId: 'b1', type: 'telemetry', data: { battery: 89 } });
    await p.ingest({ deviceId: 'b1', type: 'telemetry', data: { battery: 88 } });
    expect(points.map((x) => [x.at, x.fields])).toStrictEqual([
      [1_000_000, { battery: 90, sim_status: 'active' }],
      [1_000_001, { battery: 89 }],
      [1_000_002, { battery: 88 }],
    ]);
  });

  it('gives every event its own id, unique across pipelines (processes) too', async () => {
    const a = setup();
    const b = setup();
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) {
      for (const { p } of [a, b]) ids.push(((await p.ingest({ deviceId: 'b1', type: 'telemetry', data: { battery: i } })) as { id: string }).id);
    }
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
  });

  it('drops a resent sequence number, but not after the device announced a new session', async () => {
    const { p, counters } = setup();
    expect(await p.ingest({ deviceId: 'b1', type: 'press', seq: 1 })).toBeDefined();
    expect(await p.ingest({ deviceId: 'b1', type: 'press', seq: 1 })).toBeUndefined();
    await p.ingest({ deviceId: 'b1', type: 'status', data: { status: 'online' } });
    expect(await p.ingest({ deviceId: 'b1', type: 'press', seq: 1 })).toBeDefined();
    expect(counters.get('events.duplicate')).toBe(1);
    await expect(p.ingest({ deviceId: 'nope', type: 'press' })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_UNKNOWN_DEVICE' }));
  });

  it('remembers a sequence number for 5 minutes and among the last 64 of the device, not longer', async () => {
    const { p, counters, advance } = setup();
    const ingest = (seq: number) => p.ingest({ deviceId: 'b1', type: 'telemetry', seq, data: { battery: 90 } });
    expect(await ingest(7)).toBeDefined();
    advance(299_999);
    expect(await ingest(7)).toBeUndefined();
    advance(1);
    // Five minutes after it was first seen: a counter that restarted, not a resend.
    expect(await ingest(7)).toBeDefined();
    for (let seq = 100; seq < 164; seq++) expect(await ingest(seq)).toBeDefined();
    // 64 newer numbers pushed 7 out of the window; 100 is the oldest one still remembered.
    expect(await ingest(7)).toBeDefined();
    expect(await ingest(101)).toBeUndefined();
    expect(counters.get('events.duplicate')).toBe(2);
  });

  it('forgets a sequence number whose event could not be committed, so the resend is processed', async () => {
    const { p, rules } = setup();
    const uncommitted = Object.assign(new Error('store down'), { code: 'GW_ERR_STORE_UNAVAILABLE' });
    let fail = false;
    rules.onEvent = async () => {
      if (fail) throw uncommitted;
    };
    expect(await p.ingest({ deviceId: 'b1', type: 'press', seq: 3 })).toBeDefined();
    fail = true;
    await expect(p.ingest({ deviceId: 'b1', type: 'press', seq: 4 })).rejects.toBe(uncommitted);
    fail = false;
    expect(await p.ingest({ deviceId: 'b1', type: 'press', seq: 4 })).toBeDefined();
    expect(await p.ingest({ deviceId: 'b1', type: 'press', seq: 3 })).toBeUndefined();
  });

  it('drops (and counts) only the fields no store can keep, keeping the reading; a device time of 0 means none', async () => {
    const { p, points, counters } = setup();
    await p.ingest({ deviceId: 'b1', type: 'press', at: 0, data: { time: 1, '': 2, 'a"b': 3, ['x'.repeat(300)]: 4, zone: 1, type: 'spoof' } });
    await p.ingest({ deviceId: 'b1', type: 'telemetry', data: { battery: 88, 'bad\u0001key': 1 } });
    expect(points.map((x) => [x.measurement, x.at, x.fields])).toStrictEqual([
      ['event', 1_000_000, { zone: 1, type: 'press' }],
      ['telemetry', 1_000_000, { battery: 88 }],
    ]);
    expect(counters.get('telemetry.fields-dropped')).toBe(5);
    // The same keys again (their stored form is remembered): the same outcome, counted again.
    await p.ingest({ deviceId: 'b1', type: 'telemetry', data: { battery: 87, 'bad\u0001key': 1, 'sim.status': 'active' } });
    expect(points.at(-1)?.fields).toStrictEqual({ battery: 87, sim_status: 'active' });
    expect(counters.get('telemetry.fields-dropped')).toBe(6);
  });

  it('handles a reading at once, without a promise, and waits only for what must be committed, in order', async () => {
    const { p, rules, bus } = setup();
    const announced: string[] = [];
    bus.on('device.event', 'test', (e) => announced.push(e.type));
    rules.onEvent = (e) => (e.type === 'press' ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : undefined);
    const reading = p.ingestNow({ deviceId: 'b1', type: 'telemetry', data: { battery: 90 } });
    expect(reading).not.toBeInstanceOf(Promise);
    expect(reading).toMatchObject({ deviceId: 'b1', type: 'telemetry', data: { battery: 90 } });
    expect(announced).toStrictEqual(['telemetry']);
    const press = p.ingestNow({ deviceId: 'b1', type: 'press', seq: 1 });
    expect(press).toBeInstanceOf(Promise);
    // Announced once what it raised is committed.
    expect(announced).toStrictEqual(['telemetry']);
    expect(await press).toMatchObject({ type: 'press', seq: 1 });
    expect(announced).toStrictEqual(['telemetry', 'press']);
    // Durable steps run in order; from the first that must commit, the rest run after it.
    const steps: string[] = [];
    p.durable('a', () => void steps.push('a'));
    p.durable('b', () => {
      steps.push('b');
      return new Promise<void>((resolve) => setTimeout(() => resolve(void steps.push('b committed')), 1));
    });
    p.durable('c', () => void steps.push('c'));
    const test = p.ingestNow({ deviceId: 'b1', type: 'test' });
    expect(test).toBeInstanceOf(Promise);
    expect(steps).toStrictEqual(['a', 'b']);
    await test;
    expect(steps).toStrictEqual(['a', 'b', 'b committed', 'c']);
    // What ingest rejects with, ingestNow throws.
    expect(() => p.ingestNow({ deviceId: 'nope', type: 'telemetry' })).toThrow(expect.objectContaining({ code: 'GW_ERR_UNKNOWN_DEVICE' }));
  });
});

import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import type { DeviceEvent, Scalar } from '../../../../gateway/contract/types.js';
import { DeviceReadings, isDeviceState, type DeviceState } from '../../../../gateway/core/devices/readings.js';
import type { DeviceStateRepository } from '../../../../gateway/core/devices/state.js';

/** The state store's device state, in memory: what a restart reads back. */
class MemoryRepo implements DeviceStateRepository {
  readonly rows = new Map<string, unknown>();
  async setDeviceState(deviceId: string, key: string, value: unknown): Promise<void> {
    this.rows.set(`${deviceId}/${key}`, JSON.parse(JSON.stringify(value)));
  }
  /** Transactions written: one per setDeviceStates call. */
  batches: number[] = [];
  failNext = false;
  async setDeviceStates(key: string, values: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database is locked');
    }
    this.batches.push(values.length);
    for (const [id, v] of values) await this.setDeviceState(id, key, v);
  }
  async deviceStates<T>(key: string): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const [k, v] of this.rows) if (k.endsWith(`/${key}`)) out.set(k.slice(0, -key.length - 1), v as T);
    return out;
  }
}

const ev = (type: DeviceEvent['type'], at: number, data: Record<string, Scalar> = {}): DeviceEvent => ({ id: 'e', deviceId: 'b1', siteId: 's1', type, at, receivedAt: at, data });

describe('DeviceReadings', () => {
  it('keeps the latest value of each field with the time of its own reading', async () => {
    const r = new DeviceReadings(new MemoryRepo(), systemClock);
    r.observe(ev('status', 1_000, { status: 'online' }));
    r.observe(ev('telemetry', 2_000, { battery: 90, rssi: -61 }));
    r.observe(ev('telemetry', 3_000, { battery: 89, rssi: -60 }));
    r.observe(ev('fault', 3_500, { code: 'E7' }));
    r.observe(ev('telemetry', 4_000, { battery: 88, 'sim.status': 'active' }));
    expect(r.get('b1')).toStrictEqual({
      link: { value: 'online', at: 1_000 },
      battery: { value: 88, at: 4_000 },
      rssi: { value: -60, at: 3_000 },
      faults: { value: 'E7', at: 3_500 },
      'sim.status': { value: 'active', at: 4_000 },
    });
    // A reading of the same moment as the latest one, and one that arrives late.
    r.observe(ev('telemetry', 4_000, { rssi: -59 }));
    r.observe(ev('fault-cleared', 2_500));
    expect(r.get('b1')).toMatchObject({ rssi: { value: -59, at: 4_000 }, faults: { value: '', at: 2_500 }, battery: { value: 88, at: 4_000 }, link: { value: 'online', at: 1_000 } });
    expect(r.get('other')).toStrictEqual({});
  });

  it('skips non-finite numbers and fields beyond 64 per device, keeping the ones it has', () => {
    const r = new DeviceReadings(new MemoryRepo(), systemClock);
    const many = Object.fromEntries(Array.from({ length: 70 }, (_v, i) => [`f${i}`, i]));
    r.set('c1', { ...many, bad: Number.NaN }, 1_000);
    const state = r.get('c1');
    expect(Object.keys(state)).toHaveLength(64);
    expect(state['f63']).toStrictEqual({ value: 63, at: 1_000 });
    expect(state['f64']).toBeUndefined();
    r.set('c1', { f0: 100, f65: 1, f1: Number.POSITIVE_INFINITY }, 2_000);
    expect(r.get('c1')['f0']).toStrictEqual({ value: 100, at: 2_000 });
    expect(r.get('c1')['f1']).toStrictEqual({ value: 1, at: 1_000 });
    expect(r.get('c1')['f65']).toBeUndefined();
    // A heartbeat with exactly the held fields, one of them not finite: that one keeps its reading.
    r.set('h1', { battery: 90, rssi: -61 }, 1_000);
    r.set('h1', { battery: 89, rssi: -60 }, 2_000);
    r.set('h1', { battery: Number.NaN, rssi: -59 }, 3_000);
    expect(r.get('h1')).toStrictEqual({ battery: { value: 89, at: 2_000 }, rssi: { value: -59, at: 3_000 } });
    r.set('h1', { battery: 88, rssi: -58 }, 4_000);
    expect(r.get('h1')).toStrictEqual({ battery: { value: 88, at: 4_000 }, rssi: { value: -58, at: 4_000 } });
  });

  it('writes each state as field → { value, at } and starts again from it, newer readings first', async () => {
    const repo = new MemoryRepo();
    const first = new DeviceReadings(repo, systemClock);
    await first.start();
    first.observe(ev('status', 1_000, { status: 'online' }));
    first.observe(ev('telemetry', 2_000, { battery: 90 }));
    await first.stop();
    expect(repo.rows.get('b1/state')).toStrictEqual({ link: { value: 'online', at: 1_000 }, battery: { value: 90, at: 2_000 } });

    const second = new DeviceReadings(repo, systemClock);
    // Ingested before start() read the store: newer than what it holds.
    second.observe(ev('telemetry', 5_000, { battery: 70 }));
    await second.start();
    expect(second.get('b1')).toStrictEqual({ link: { value: 'online', at: 1_000 }, battery: { value: 70, at: 5_000 } });
    await second.stop();
    expect(repo.rows.get('b1/state')).toStrictEqual({ link: { value: 'online', at: 1_000 }, battery: { value: 70, at: 5_000 } });
    const stored: DeviceState = (await repo.deviceStates<DeviceState>('state')).get('b1') ?? {};
    expect(Object.keys(stored).sort()).toStrictEqual(['battery', 'link']);
  });

  it('writes a district in transactions of 100 devices with a turn of the event loop between them, and a failed one again at the next flush', async () => {
    const repo = new MemoryRepo();
    const r = new DeviceReadings(repo, systemClock, () => undefined);
    for (let i = 0; i < 1_200; i++) r.set(`b${i}`, { battery: i % 100 }, 1_000);
    repo.failNext = true;
    // Scheduled before the flush: it runs between two transactions, not after all of them.
    let batchesWhenIoRan: number | undefined;
    setImmediate(() => (batchesWhenIoRan = repo.batches.length));
    await r.flush();
    expect(repo.batches).toStrictEqual(Array.from({ length: 11 }, () => 100));
    expect(batchesWhenIoRan).toBeLessThan(11);
    expect(repo.rows.has('b0/state')).toBe(false);
    expect(repo.rows.get('b1199/state')).toStrictEqual({ battery: { value: 99, at: 1_000 } });
    await r.flush();
    expect(repo.batches).toHaveLength(12);
    expect(repo.rows.size).toBe(1_200);
  });

  it('cluster mode: hands out the devices whose readings changed here, and adopts another node\'s field by field, the later reading winning, without writing it', async () => {
    const repo = new MemoryRepo();
    const here = new DeviceReadings(repo, systemClock);
    // Not tracking yet: nothing to hand out.
    here.observe(ev('telemetry', 1_000, { battery: 90 }));
    expect(here.ownChanges(10)).toStrictEqual([]);
    here.trackChanges();
    here.observe(ev('telemetry', 2_000, { battery: 89, rssi: -60 }));
    here.set('b2', { position: 'lowered' }, 2_500);
    here.set('b3', { position: 'raised' }, 2_600);
    // At most `max` at a time; the rest on the next call; then nothing until something changes again.
    expect(here.ownChanges(2)).toStrictEqual([
      ['b1', { battery: { value: 89, at: 2_000 }, rssi: { value: -60, at: 2_000 } }],
      ['b2', { position: { value: 'lowered', at: 2_500 } }],
    ]);
    expect(here.ownChanges(2)).toStrictEqual([['b3', { position: { value: 'raised', at: 2_600 } }]]);
    expect(here.ownChanges(2)).toStrictEqual([]);

    const there = new DeviceReadings(repo, systemClock);
    there.set('b1', { link: 'online', battery: 95 }, 1_500);
    there.adopt('b1', { battery: { value: 89, at: 2_000 }, rssi: { value: -60, at: 2_000 }, link: { value: 'offline', at: 500 } });
    // battery and rssi read later over there; link older than the one held here.
    expect(there.get('b1')).toStrictEqual({ link: { value: 'online', at: 1_500 }, battery: { value: 89, at: 2_000 }, rssi: { value: -60, at: 2_000 } });
    there.adopt('b9', { position: { value: 'lowered', at: 3_000 } });
    expect(there.get('b9')).toStrictEqual({ position: { value: 'lowered', at: 3_000 } });
    // Adopted readings are the other node's to write, and not handed on again from here.
    there.trackChanges();
    there.adopt('b9', { position: { value: 'raised', at: 4_000 } });
    expect(there.ownChanges(10)).toStrictEqual([]);
    await there.flush();
    expect(repo.rows.has('b9/state')).toBe(false);
    // b1 was read here too: what this node writes for it is everything it holds, the later readings included.
    expect(repo.rows.get('b1/state')).toStrictEqual(there.get('b1'));
  });

  it('knows a device state from another node by its shape', () => {
    expect(isDeviceState({ battery: { value: 89, at: 2_000 }, link: { value: 'online', at: 1 }, tamper: { value: false, at: 1 } })).toBe(true);
    expect(isDeviceState({})).toBe(true);
    for (const bad of [null, [], 'x', { battery: 89 }, { battery: { value: 89 } }, { battery: { value: { x: 1 }, at: 1 } }, { battery: { value: Number.NaN, at: 1 } }, { b: { value: 1, at: Number.POSITIVE_INFINITY } }]) {
      expect(isDeviceState(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isDeviceState(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, { value: i, at: 1 }])))).toBe(false);
  });
});
